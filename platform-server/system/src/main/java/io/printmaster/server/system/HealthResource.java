package io.printmaster.server.system;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** {@code GET /api/v1/health}: public liveness and readiness, 200 with status UP once the server can serve. */
@Component(service = RouteProvider.class)
public class HealthResource implements RouteProvider {
    private final String version;
    private final long startedMillis;

    @Activate
    public HealthResource(BundleContext context) {
        this.version = String.valueOf(context.getProperty("pm.version"));
        String started = context.getProperty("pm.start.millis");
        this.startedMillis = started != null ? Long.parseLong(started) : System.currentTimeMillis();
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/health", Route.PUBLIC, req -> health()));
    }

    private ApiResponse health() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        body.put("version", version);
        body.put("uptime_seconds", Duration.ofMillis(System.currentTimeMillis() - startedMillis).toSeconds());
        return ApiResponse.ok(body);
    }
}
