package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.RouteRegistry;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code GET /api/v1/openapi.json} (public): the OpenAPI 3.1 description of every route the dispatcher serves right
 * now, worked out from its route table at each request ({@link OpenApiDocument}), so a route added by a bundle or a
 * plugin appears as soon as it is served and never in a hand-kept file that could drift.
 *
 * <p>The route table comes from the dispatcher, which in turn takes this component's route: the reference is dynamic
 * and optional so neither waits for the other.
 */
@Component(service = RouteProvider.class)
public class OpenApiResource implements RouteProvider {
    static final String PATH = "/api/v1/openapi.json";

    private final OpenApiDocument generator = new OpenApiDocument(new JsonMapper().objectMapper());
    private final String version;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile RouteRegistry registry;

    @Activate
    public OpenApiResource(BundleContext context) {
        String running = context.getProperty("pm.version");
        this.version = running != null && !running.isBlank() ? running : context.getBundle().getVersion().toString();
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(PATH, Route.PUBLIC, req -> ApiResponse.ok(document()))
                .doc("The OpenAPI 3.1 description of this API",
                        "Generated from the routes the server serves now and the records they read and write.")
                .returns(Map.class));
    }

    Map<String, Object> document() throws ApiException {
        RouteRegistry routes = registry;
        if (routes == null) {
            throw new ApiException(503, "unavailable", "the route table is not available yet; try again");
        }
        return generator.describe(routes.routes(), version);
    }
}
