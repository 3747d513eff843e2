package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.RouteRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * {@code GET /api/v1/openapi.json} in the real server: open to anyone, OpenAPI 3.1, and describing exactly the routes
 * the server serves. The routes to expect are read from every {@link RouteProvider} service in the container, not
 * from a list kept here, so a new route of any bundle is checked the day it appears. The document is then linted by
 * the real Redocly CLI ({@code itests/tools/openapi-lint}, installed by {@code npm ci}; {@code .ci/run} does it) with
 * the rules of its {@code redocly.yaml}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OpenApiIT {
    private static final String SPEC = OpenApiChecks.SPEC;

    @Inject
    BundleContext context;

    @Inject
    RouteRegistry registry;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.newDataDir("openapi"), ServerContainer.freePort());
    }

    private ApiClient anonymous() throws Exception {
        ApiClient c = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        c.awaitHealthy();
        return c;
    }

    /**
     * The document once the platform has settled: every provider's routes are in the dispatcher's table (the route
     * providers of the distribution register over the first seconds) and the document describes that table.
     */
    private Map<String, Object> settledSpec(ApiClient client) throws Exception {
        List<Map<String, Object>> spec = new ArrayList<>(1);
        Eventually.within(Duration.ofSeconds(30), () -> {
            Set<String> provided = OpenApiChecks.providedRoutes(context);
            assertTrue("the route providers of the distribution have not registered yet: " + provided,
                    provided.contains("POST /api/v1/agents/update/manifest") && provided.contains("GET /api/v1/installers/formats")
                            && provided.contains("GET /api/v1/rollouts") && provided.contains("GET /api/v1/audit"));
            Set<String> served = new TreeSet<>();
            registry.routes().forEach(r -> served.add(r.method() + " " + r.path()));
            assertEquals("the dispatcher serves exactly the providers' routes", provided, served);
            ApiClient.Response r = client.get(SPEC);
            assertEquals(r.body(), 200, r.status());
            Map<String, Object> document = r.json();
            OpenApiChecks.assertDescribesExactly(provided, document);
            spec.clear();
            spec.add(document);
        });
        return spec.get(0);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void anyoneGetsAnOpenApi31DocumentOfEveryServedRoute() throws Exception {
        ApiClient nobody = anonymous();
        ApiClient.Response r = nobody.get(SPEC);
        assertEquals(r.body(), 200, r.status());
        assertTrue(r.header("Content-Type"), r.header("Content-Type").startsWith("application/json"));
        Map<String, Object> spec = settledSpec(nobody);
        assertEquals("3.1.0", spec.get("openapi"));
        assertFalse(((Map<String, Object>) spec.get("info")).get("version").toString().isBlank());

        Set<String> operationIds = new HashSet<>();
        Map<String, Map<String, Map<String, Object>>> paths = (Map<String, Map<String, Map<String, Object>>>) spec.get("paths");
        paths.forEach((path, operations) -> operations.forEach((method, op) -> {
            String where = method + " " + path;
            assertTrue(where + " has no summary", op.get("summary") instanceof String s && !s.isBlank());
            assertTrue(where + " repeats an operationId: " + op.get("operationId"), operationIds.add((String) op.get("operationId")));
            assertTrue(where + " has no security", op.get("security") instanceof List);
        }));
        // the route describing the API is itself public, and so described
        Map<String, Object> self = paths.get(SPEC).get("get");
        assertEquals(List.of(), self.get("security"));
        // an agent route: the wire records, as the agent sends and reads them
        Map<String, Object> checkIn = paths.get("/api/v1/agents/update/manifest").get("post");
        assertEquals(List.of(Map.of("agentCredential", List.of())), checkIn.get("security"));
    }

    @Test
    public void theDocumentPassesTheOpenApiLinter() throws Exception {
        ApiClient nobody = anonymous();
        settledSpec(nobody);
        ApiClient.Response r = nobody.get(SPEC);
        assertEquals(200, r.status());
        OpenApiChecks.assertLintPasses(r.body(), "openapi.json");
    }
}
