package io.printmaster.http.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteDoc;
import io.printmaster.http.api.Scopes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 description of a route table: one operation per route, with its path parameters, query
 * parameters, request and response schemas ({@link JsonSchemas}), the security its access means and the error
 * responses the dispatcher gives, all in the one error shape. Worked out from the routes themselves each time, so it
 * cannot describe a route that is not served or miss one that is.
 */
final class OpenApiDocument {
    static final String OPENAPI_VERSION = "3.1.0";
    static final String ERROR_SCHEMA = "Error";

    static final String API_TOKEN = "apiToken";
    static final String AGENT_CREDENTIAL = "agentCredential";
    static final String SESSION = "consoleSession";
    static final String CSRF = "csrfToken";

    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}/]+)}");
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    private final ObjectMapper mapper;

    OpenApiDocument(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The whole document for these routes; {@code version} is the server's. */
    Map<String, Object> describe(List<Route> routes, String version) {
        JsonSchemas schemas = new JsonSchemas(mapper);
        schemas.component(ERROR_SCHEMA, ErrorResponses.errorSchema());
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparing(Route::path).thenComparing(r -> methodOrder(r.method())));
        Map<String, Map<String, Object>> paths = new LinkedHashMap<>();
        Set<String> operationIds = new HashSet<>();
        Map<String, String> tags = new TreeMap<>();
        for (Route route : sorted) {
            String tag = tag(route.path());
            tags.put(tag, "Routes under " + resourcePrefix(route.path()) + tag);
            Map<String, Object> operation = operation(route, tag, uniqueOperationId(route, operationIds), schemas);
            paths.computeIfAbsent(route.path(), p -> new LinkedHashMap<>())
                    .put(route.method().toLowerCase(Locale.ROOT), operation);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", OPENAPI_VERSION);
        doc.put("info", info(version));
        doc.put("servers", List.of(Map.of("url", "/", "description", "this server")));
        doc.put("tags", tags.entrySet().stream().map(t -> Map.of("name", t.getKey(), "description", t.getValue())).toList());
        doc.put("paths", paths);
        Map<String, Object> components = new LinkedHashMap<>();
        components.put("schemas", schemas.components());
        components.put("responses", ErrorResponses.components(usedErrorStatuses(paths)));
        components.put("securitySchemes", usedSecuritySchemes(paths));
        doc.put("components", components);
        return doc;
    }

    /** The shared error responses the operations refer to (an agent's few routes never answer 413, say). */
    @SuppressWarnings("unchecked")
    private static Set<Integer> usedErrorStatuses(Map<String, Map<String, Object>> paths) {
        Set<Integer> used = new java.util.TreeSet<>();
        for (Map<String, Object> operations : paths.values()) {
            for (Object op : operations.values()) {
                Map<String, Object> responses = (Map<String, Object>) ((Map<String, Object>) op).get("responses");
                responses.keySet().stream().map(Integer::valueOf).filter(status -> status >= 400).forEach(used::add);
            }
        }
        return used;
    }

    /** The security schemes some operation names: a document lists no way to authenticate that nothing takes. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> usedSecuritySchemes(Map<String, Map<String, Object>> paths) {
        Set<String> used = new HashSet<>();
        for (Map<String, Object> operations : paths.values()) {
            for (Object op : operations.values()) {
                for (Map<String, ?> requirement : (List<Map<String, ?>>) ((Map<String, Object>) op).get("security")) {
                    used.addAll(requirement.keySet());
                }
            }
        }
        Map<String, Object> schemes = new LinkedHashMap<>(securitySchemes());
        schemes.keySet().retainAll(used);
        return schemes;
    }

    private static Map<String, Object> info(String version) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("title", "PrintMaster Update Platform API");
        info.put("version", version);
        info.put("description", "The REST API of this PrintMaster process (the server, or an agent's local API), "
                + "generated from the routes it serves and the records they read and write. JSON in and out, member names in snake_case, timestamps ISO-8601 UTC. Every error "
                + "answers `{\"error\":{\"code\",\"message\",\"field\"?,\"details\"?}}`.");
        // the license every bundle declares (Bundle-License)
        Map<String, Object> license = new LinkedHashMap<>();
        license.put("name", "Apache License 2.0");
        license.put("identifier", "Apache-2.0");
        info.put("license", license);
        return info;
    }

    private Map<String, Object> operation(Route route, String tag, String operationId, JsonSchemas schemas) {
        RouteDoc doc = route.doc();
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("tags", List.of(tag));
        op.put("summary", doc.summary() != null ? doc.summary() : generatedSummary(route));
        op.put("description", description(route));
        op.put("operationId", operationId);
        List<Map<String, Object>> parameters = parameters(route);
        if (!parameters.isEmpty()) {
            op.put("parameters", parameters);
        }
        if (doc.request() != null) {
            op.put("requestBody", Map.of("required", true,
                    "content", Map.of("application/json", Map.of("schema", schemas.schema(doc.request())))));
        }
        op.put("responses", responses(route, schemas));
        op.put("security", security(route));
        return op;
    }

    /** The route's own description, then what the API description knows of its access. */
    private static String description(Route route) {
        String said = route.doc().description();
        String access = switch (route.access()) {
            case Route.PUBLIC -> "Public: no authentication.";
            case Route.ADMIN -> "Only the administrator's console session (API tokens are refused).";
            case Scopes.AGENT -> "An enrolled agent's credential.";
            default -> "Needs scope `" + route.access() + "`.";
        };
        if (route.serverWide()) {
            access += " Server-wide: refused (403) to a token restricted to some fleets.";
        }
        return said == null || said.isBlank() ? access : said + "\n\n" + access;
    }

    /** For a route that says nothing about itself: what its method does to its path. */
    static String generatedSummary(Route route) {
        String verb = switch (route.method()) {
            case "GET" -> "Read";
            case "POST" -> "Submit to";
            case "PUT" -> "Replace";
            case "DELETE" -> "Delete";
            default -> route.method();
        };
        return verb + " " + route.path().replaceFirst("^/api/(v\\d+/)?", "");
    }

    private static List<Map<String, Object>> parameters(Route route) {
        List<Map<String, Object>> parameters = new ArrayList<>();
        Matcher m = PATH_PARAM.matcher(route.path());
        while (m.find()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", m.group(1));
            p.put("in", "path");
            p.put("required", true);
            p.put("description", "the `" + m.group(1) + "` of " + route.path());
            p.put("schema", Map.of("type", "string"));
            parameters.add(p);
        }
        for (RouteDoc.QueryParam q : route.doc().query()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", q.name());
            p.put("in", "query");
            p.put("required", false);
            p.put("description", q.description());
            p.put("schema", Map.of("type", "string"));
            parameters.add(p);
        }
        return parameters;
    }

    private Map<String, Object> responses(Route route, JsonSchemas schemas) {
        RouteDoc doc = route.doc();
        int status = successStatus(route);
        Map<String, Object> success = new LinkedHashMap<>();
        success.put("description", successDescription(status));
        if (doc.response() != null) {
            success.put("content", Map.of("application/json", Map.of("schema", schemas.schema(doc.response()))));
        } else if (doc.mediaType() != null) {
            success.put("content", Map.of(doc.mediaType(), Map.of("schema",
                    Map.of("type", "string", "contentMediaType", doc.mediaType()))));
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        responses.put(String.valueOf(status), success);
        responses.putAll(ErrorResponses.forRoute(route));
        return responses;
    }

    /** The declared status, else the method's usual one: 204 for a DELETE answering nothing, otherwise 200. */
    static int successStatus(Route route) {
        RouteDoc doc = route.doc();
        if (doc.status() != 0) {
            return doc.status();
        }
        boolean body = doc.response() != null || doc.mediaType() != null;
        return "DELETE".equals(route.method()) && !body ? 204 : 200;
    }

    private static String successDescription(int status) {
        return switch (status) {
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "Done; no body";
            case 206 -> "Partial content";
            default -> "Success";
        };
    }

    /**
     * The ways to meet the route's access, any one of which suffices: public needs nothing; a scope takes an API
     * token holding it or the console session (plus its CSRF header for a change); admin takes only the session;
     * agent routes take an agent credential. OpenAPI 3.1 lets a bearer scheme list roles: the scope is given there.
     */
    static List<Map<String, List<String>>> security(Route route) {
        boolean change = !SAFE.contains(route.method());
        Map<String, List<String>> session = new LinkedHashMap<>();
        session.put(SESSION, List.of());
        if (change) {
            session.put(CSRF, List.of());
        }
        return switch (route.access()) {
            case Route.PUBLIC -> List.of();
            case Route.ADMIN -> List.of(session);
            case Scopes.AGENT -> List.of(Map.of(AGENT_CREDENTIAL, List.of()));
            default -> List.of(Map.of(API_TOKEN, List.of(route.access())), session);
        };
    }

    private static Map<String, Object> securitySchemes() {
        Map<String, Object> schemes = new LinkedHashMap<>();
        schemes.put(API_TOKEN, Map.of("type", "http", "scheme", "bearer", "description",
                "An API token (`Authorization: Bearer pmt_…`) minted in the console; it holds scopes and may be "
                        + "restricted to some fleets."));
        schemes.put(AGENT_CREDENTIAL, Map.of("type", "http", "scheme", "bearer", "description",
                "An agent's credential (`Authorization: Bearer pma_…`), answered once by the enrollment."));
        schemes.put(SESSION, Map.of("type", "apiKey", "in", "cookie", "name", ApiDispatcher.SESSION_COOKIE,
                "description", "The administrator's console session, set by `POST /api/v1/auth/login`."));
        schemes.put(CSRF, Map.of("type", "apiKey", "in", "header", "name", "X-CSRF-Token", "description",
                "The session's `csrf_token` (from the login answer); required with the session cookie on every change."));
        return schemes;
    }

    /** The resource a path is about: the first segment after {@code /api/} and its version. */
    static String tag(String path) {
        String rest = path.substring(resourcePrefix(path).length());
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        return first.isEmpty() || first.startsWith("{") ? "api" : first;
    }

    private static String resourcePrefix(String path) {
        return path.matches("^/api/v\\d+/.*") ? path.substring(0, path.indexOf('/', 5) + 1) : "/api/";
    }

    /**
     * Method plus the path in camel case ({@code GET /api/v1/fleets/{id}/join-tokens} → {@code getFleetsByIdJoinTokens}):
     * stable while the route is, and made unique with a number in the unlikely case two paths spell the same.
     */
    static String operationId(Route route) {
        StringBuilder id = new StringBuilder(route.method().toLowerCase(Locale.ROOT));
        String rest = route.path().substring(resourcePrefix(route.path()).length());
        for (String segment : rest.split("/")) {
            boolean param = segment.startsWith("{") && segment.endsWith("}");
            if (param) {
                id.append("By");
            }
            for (String word : segment.replaceAll("[{}]", "").split("[^A-Za-z0-9]+")) {
                if (!word.isEmpty()) {
                    id.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
                }
            }
        }
        return id.toString();
    }

    private static String uniqueOperationId(Route route, Set<String> taken) {
        String base = operationId(route);
        String id = base;
        for (int n = 2; !taken.add(id); n++) {
            id = base + n;
        }
        return id;
    }

    private static int methodOrder(String method) {
        int i = List.of("GET", "POST", "PUT", "PATCH", "DELETE").indexOf(method);
        return i < 0 ? 99 : i;
    }
}
