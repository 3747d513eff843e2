package io.printmaster.http.impl;

import io.printmaster.http.api.Route;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An immutable match table of route templates; rebuilt whenever a provider comes or goes. */
final class RouteTable {

    record Match(Route route, Map<String, String> params) {
    }

    private record Compiled(Route route, String[] segments) {
    }

    private final List<Compiled> routes;

    RouteTable(Collection<Route> routes) {
        List<Compiled> compiled = new ArrayList<>();
        for (Route r : routes) {
            compiled.add(new Compiled(r, split(r.path())));
        }
        // literal segments beat parameters: /fleets/global must not be captured by /fleets/{id}
        compiled.sort((a, b) -> compareSpecificity(a.segments, b.segments));
        this.routes = List.copyOf(compiled);
    }

    List<Route> all() {
        return routes.stream().map(Compiled::route).toList();
    }

    /** The route for this method and path, if any. */
    Optional<Match> match(String method, String path) {
        String[] parts = split(path);
        for (Compiled c : routes) {
            if (c.route.method().equals(method)) {
                Map<String, String> params = bind(c.segments, parts);
                if (params != null) {
                    return Optional.of(new Match(c.route, params));
                }
            }
        }
        return Optional.empty();
    }

    /** Methods that some route accepts at this path (for 405 Allow). */
    Set<String> methodsFor(String path) {
        String[] parts = split(path);
        Set<String> methods = new LinkedHashSet<>();
        for (Compiled c : routes) {
            if (bind(c.segments, parts) != null) {
                methods.add(c.route.method());
            }
        }
        return methods;
    }

    private static Map<String, String> bind(String[] template, String[] parts) {
        if (template.length != parts.length) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("}")) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                params.put(t.substring(1, t.length() - 1), parts[i]);
            } else if (!t.equals(parts[i])) {
                return null;
            }
        }
        return params;
    }

    private static int compareSpecificity(String[] a, String[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            boolean pa = a[i].startsWith("{");
            boolean pb = b[i].startsWith("{");
            if (pa != pb) {
                return pa ? 1 : -1;
            }
        }
        return Integer.compare(b.length, a.length);
    }

    private static String[] split(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return p.substring(1).split("/", -1);
    }
}
