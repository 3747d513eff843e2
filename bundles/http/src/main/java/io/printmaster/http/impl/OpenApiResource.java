package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.RouteRegistry;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code GET /api/v1/openapi.json} (public): the OpenAPI 3.1 description of every route the dispatcher serves right
 * now, worked out from its route table at each request ({@link OpenApiDocument}), so a route added by a bundle or a
 * plugin appears as soon as it is served and never in a hand-kept file that could drift.
 *
 * <p>The route table comes from the dispatcher, which in turn binds this component's route while it activates; a
 * DS reference back to it (even optional and dynamic) would make SCR fetch the dispatcher in the middle of its own
 * activation, which Felix reports as a circular dependency error. So the registry is looked up per request, when
 * the dispatcher that is serving the request is long active.
 */
@Component(service = RouteProvider.class)
public class OpenApiResource implements RouteProvider {
    static final String PATH = "/api/v1/openapi.json";

    private final OpenApiDocument generator = new OpenApiDocument(new JsonMapper().objectMapper());
    private final BundleContext context;
    private final String version;

    @Activate
    public OpenApiResource(BundleContext context) {
        this.context = context;
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
        ServiceReference<RouteRegistry> ref = context.getServiceReference(RouteRegistry.class);
        RouteRegistry registry = ref == null ? null : context.getService(ref);
        if (registry == null) {
            throw new ApiException(503, "unavailable", "the route table is not available yet; try again");
        }
        try {
            return generator.describe(registry.routes(), version);
        } finally {
            context.ungetService(ref);
        }
    }
}
