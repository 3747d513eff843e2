package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * The agent runs the same HTTP bundle, so its local API (127.0.0.1 only) describes itself at
 * {@code /api/v1/openapi.json} too: every local route, and clean under the same linter as the server's.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentOpenApiIT {

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.agentDistribution(), "agent", ServerContainer.newDataDir("agent-openapi"),
                ServerContainer.freePort());
    }

    @Test
    public void theAgentsLocalApiIsDescribedAndLintsClean() throws Exception {
        ApiClient local = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        local.awaitHealthy();
        List<ApiClient.Response> served = new ArrayList<>(1);
        Eventually.within(Duration.ofSeconds(30), () -> {
            Set<String> provided = OpenApiChecks.providedRoutes(context);
            assertTrue("the agent's local routes are not registered yet: " + provided,
                    provided.contains("GET /api/autoupdate/status") && provided.contains("GET /api/enrollment/status"));
            ApiClient.Response r = local.get(OpenApiChecks.SPEC);
            assertEquals(r.body(), 200, r.status());
            Map<String, Object> spec = r.json();
            assertEquals("3.1.0", spec.get("openapi"));
            OpenApiChecks.assertDescribesExactly(provided, spec);
            served.clear();
            served.add(r);
        });
        OpenApiChecks.assertLintPasses(served.get(0).body(), "openapi-agent.json");
    }
}
