package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * What the OpenAPI tests check on any process serving {@code /api/v1/openapi.json}: the routes it should describe,
 * read from the container's {@link RouteProvider} services (never from a list kept in a test), the routes it does
 * describe, and the verdict of the real Redocly CLI ({@code itests/tools/openapi-lint}).
 */
final class OpenApiChecks {
    static final String SPEC = "/api/v1/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    private OpenApiChecks() {
    }

    /** "METHOD path" of every route of every route provider service registered now. */
    static Set<String> providedRoutes(BundleContext context) throws Exception {
        Set<String> routes = new TreeSet<>();
        for (ServiceReference<RouteProvider> ref : context.getServiceReferences(RouteProvider.class, null)) {
            RouteProvider provider = context.getService(ref);
            try {
                if (provider != null) {
                    for (Route r : provider.routes()) {
                        routes.add(r.method() + " " + r.path());
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        return routes;
    }

    /** "METHOD path" of every operation the document describes. */
    @SuppressWarnings("unchecked")
    static Set<String> describedRoutes(Map<String, Object> spec) {
        Set<String> routes = new TreeSet<>();
        ((Map<String, Map<String, Object>>) spec.get("paths")).forEach((path, operations) -> operations.keySet().stream()
                .filter(METHODS::contains).forEach(m -> routes.add(m.toUpperCase(Locale.ROOT) + " " + path)));
        return routes;
    }

    /** Asserts the document describes exactly these routes, naming the missing and the extra ones. */
    static void assertDescribesExactly(Set<String> provided, Map<String, Object> spec) {
        Set<String> described = describedRoutes(spec);
        Set<String> missing = new TreeSet<>(provided);
        missing.removeAll(described);
        Set<String> extra = new TreeSet<>(described);
        extra.removeAll(provided);
        assertEquals("routes served but missing from " + SPEC, Set.of(), missing);
        assertEquals("routes in " + SPEC + " that nobody serves", Set.of(), extra);
    }

    /**
     * Writes the document as served to {@code <itest output>/<fileName>} (kept for the reader of a failure) and runs
     * {@code redocly lint} on it with the rules of {@code itests/tools/openapi-lint/redocly.yaml}; fails with the
     * linter's report, or with the command to run when the linter is not installed.
     */
    static void assertLintPasses(String document, String fileName) throws Exception {
        Path tools = Path.of(System.getProperty("pm.workspace"), "itests", "tools", "openapi-lint").toAbsolutePath().normalize();
        Path redocly = tools.resolve("node_modules/.bin/redocly");
        if (!Files.isExecutable(redocly)) {
            fail("the OpenAPI linter is not installed: " + redocly + " is missing; run `npm ci --prefix itests/tools/openapi-lint`"
                    + " (.ci/run does) with Node.js 20.19 or later");
        }
        Path written = Path.of(System.getProperty("pm.itest.output"), fileName);
        Files.createDirectories(written.getParent());
        Files.writeString(written, document, StandardCharsets.UTF_8);
        Path log = Files.createTempFile("redocly-lint", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(redocly.toString(), "lint", "--config", tools.resolve("redocly.yaml").toString(),
                    "--format", "stylish", written.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("REDOCLY_TELEMETRY", "off");
            pb.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
            Process lint = pb.start();
            if (!lint.waitFor(3, TimeUnit.MINUTES)) {
                lint.destroyForcibly();
                fail("redocly lint did not finish within 3 minutes: " + Files.readString(log));
            }
            assertEquals("redocly lint " + written + " failed:\n" + Files.readString(log), 0, lint.exitValue());
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
