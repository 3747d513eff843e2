package io.printmaster.server.system;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.store.Database;
import io.printmaster.store.StorageState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code GET /api/v1/health}: public readiness. 200 with {@code "status":"UP"} once storage works and every platform
 * bundle and component is up; 503 with {@code "status":"DOWN"} and the reasons otherwise, so a load balancer and an
 * admin see the same thing.
 */
@Component(service = RouteProvider.class)
public class HealthResource implements RouteProvider {
    private final String version;
    private final long startedMillis;

    // optional: health must answer even when the store bundle is missing or its component failed
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Database database;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ServiceComponentRuntime scr;

    private final Readiness readiness;

    /**
     * Warnings other bundles contribute (a root delegation about to expire): services of the JDK type
     * {@code Supplier<List<String>>} with {@code printmaster.health.warnings=true}, so this bundle imports nothing of
     * theirs. They do not make the server DOWN: they are for the administrator, not the load balancer.
     */
    private final List<java.util.function.Supplier<?>> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(printmaster.health.warnings=true)")
    void addWarnings(java.util.function.Supplier<?> source) {
        warnings.add(source);
    }

    void removeWarnings(java.util.function.Supplier<?> source) {
        warnings.remove(source);
    }

    /**
     * The last answer and when it was computed. Readiness walks every bundle and component and storage opens a
     * connection: at load-balancer polling rates that cost dominates, so an answer is reused for up to a second
     * (measured in docs/benchmarks.md). A change is seen within that second.
     */
    private record Snapshot(long computedAtNanos, int status, Map<String, Object> body) {
    }

    private static final long REUSE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private volatile Snapshot last;

    @Activate
    public HealthResource(BundleContext context) {
        this.readiness = new Readiness(context);
        this.version = String.valueOf(context.getProperty("pm.version"));
        String started = context.getProperty("pm.start.millis");
        this.startedMillis = started != null ? Long.parseLong(started) : System.currentTimeMillis();
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/health", Route.PUBLIC, req -> health())
                .doc("Read the server's health", "200 while everything is up, 503 otherwise.").returns(Map.class));
    }

    private ApiResponse health() {
        long now = System.nanoTime();
        Snapshot s = last;
        if (s == null || now - s.computedAtNanos() > REUSE_NANOS) {
            s = compute(now);
            last = s;
        }
        Map<String, Object> body = new LinkedHashMap<>(s.body());
        body.put("uptime_seconds", Duration.ofMillis(System.currentTimeMillis() - startedMillis).toSeconds());
        return ApiResponse.status(s.status(), body);
    }

    private Snapshot compute(long now) {
        Database db = database;
        StorageState storage = db != null ? db.state() : new StorageState(false, "none", "the storage service is not available");
        List<String> problems = readiness.problems(scr);
        boolean up = storage.up() && problems.isEmpty();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("version", version);
        body.put("uptime_seconds", Duration.ofMillis(System.currentTimeMillis() - startedMillis).toSeconds());
        Map<String, Object> storageBody = new LinkedHashMap<>();
        storageBody.put("state", storage.up() ? "UP" : "DOWN");
        storageBody.put("kind", storage.kind());
        if (!storage.up()) {
            storageBody.put("detail", storage.detail());
        }
        body.put("storage", storageBody);
        if (!problems.isEmpty()) {
            body.put("problems", problems);
        }
        List<String> warned = new java.util.ArrayList<>();
        for (java.util.function.Supplier<?> w : warnings) {
            try {
                if (w.get() instanceof List<?> list) {
                    list.forEach(item -> warned.add(String.valueOf(item)));
                }
            } catch (RuntimeException e) {
                warned.add("a health warning could not be computed: " + e.getMessage());
            }
        }
        if (!warned.isEmpty()) {
            body.put("warnings", warned);
        }
        return new Snapshot(now, up ? 200 : 503, body);
    }
}
