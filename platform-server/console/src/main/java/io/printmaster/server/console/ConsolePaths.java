package io.printmaster.server.console;

import java.util.regex.Pattern;

/**
 * Decides what a request path under {@code /} means. The console routes on the client (history API), so any path
 * whose last segment has no dot ({@code /fleets/lab/policy}) is a page and gets {@code index.html}; a path whose last
 * segment has a dot ({@code /js/app.js}) names a packed file and is 404 when there is none, so a typo in an asset
 * never silently turns into an HTML page.
 */
final class ConsolePaths {
    static final String INDEX = "index.html";

    /** Asset names are plain: letters, digits, dot, dash, underscore, slash; no dot-only segments, no empty ones. */
    private static final Pattern ASSET = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");

    sealed interface Resolution permits Page, Asset, NotFound {
    }

    /** A client-side route: answer the console's {@code index.html}. */
    record Page() implements Resolution {
    }

    /** A packed file, by its name relative to the console folder. */
    record Asset(String name) implements Resolution {
    }

    record NotFound() implements Resolution {
    }

    private ConsolePaths() {
    }

    /** @param path the request path below the context, undecoded, starting with {@code /} */
    static Resolution resolve(String path) {
        if (path == null || path.isEmpty() || path.equals("/")) {
            return new Page();
        }
        if (!path.startsWith("/") || path.startsWith("/api/") || path.equals("/api")
                || path.equals("/metrics") || path.startsWith("/metrics/")) {
            // /api/* belongs to the REST dispatcher and /metrics to the metrics servlet; reaching here means no such
            // endpoint (or the metrics bundle is not running), never a page: a scraper must not read HTML as metrics
            return new NotFound();
        }
        String name = path.substring(1);
        String last = name.substring(name.lastIndexOf('/') + 1);
        if (!last.contains(".")) {
            return new Page();
        }
        if (!ASSET.matcher(name).matches() || name.contains("/.") || name.startsWith(".")) {
            return new NotFound();
        }
        return new Asset(name);
    }
}
