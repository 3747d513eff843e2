package io.printmaster.http.impl;

import io.printmaster.http.api.Route;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The error answers of the API description: the one error shape the dispatcher writes ({@code ApiDispatcher}'s
 * {@code writeError}, {@link JsonServerErrors}) as the schema {@code Error}, and the statuses every route of a kind can
 * answer, as shared responses referring to it.
 */
final class ErrorResponses {
    private static final String REF = "#/components/responses/";

    /** Status → (component name, description). */
    private static final Map<Integer, String[]> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put(400, new String[] {"BadRequest", "The request is malformed or a field is invalid; `field` names it"});
        KNOWN.put(401, new String[] {"Unauthorized", "No valid credential was sent"});
        KNOWN.put(403, new String[] {"Forbidden", "The credential lacks the access this route needs, or the CSRF header is missing"});
        KNOWN.put(404, new String[] {"NotFound", "Nothing of that id the caller may see"});
        KNOWN.put(413, new String[] {"BodyTooLarge", "The request body exceeds the server's limit"});
        KNOWN.put(500, new String[] {"InternalError", "The server failed; see its log"});
    }

    private ErrorResponses() {
    }

    /** {@code {"error":{"code","message","field"?,"details"?:[{"field","message"}]}}}. */
    static Map<String, Object> errorSchema() {
        Map<String, Object> fieldError = Map.of("type", "object",
                "properties", Map.of("field", Map.of("type", "string"), "message", Map.of("type", "string")),
                "required", List.of("field", "message"));
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("code", Map.of("type", "string", "description", "machine-readable, such as `invalid_field`"));
        inner.put("message", Map.of("type", "string", "description", "for people: what was wrong"));
        inner.put("field", Map.of("type", "string", "description", "the input at fault (dotted path, `[i]` for items)"));
        inner.put("details", Map.of("type", "array", "items", fieldError,
                "description", "every invalid field, when there are several"));
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", "object");
        error.put("properties", inner);
        error.put("required", List.of("code", "message"));
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("description", "The one shape of every error the API answers.");
        schema.put("properties", Map.of("error", error));
        schema.put("required", List.of("error"));
        return schema;
    }

    /** The shared responses of these statuses, by component name. */
    static Map<String, Object> components(java.util.Set<Integer> statuses) {
        Map<String, Object> responses = new LinkedHashMap<>();
        KNOWN.forEach((status, named) -> {
            if (statuses.contains(status)) {
                responses.put(named[0], Map.of("description", named[1], "content",
                        Map.of("application/json", Map.of("schema", JsonSchemas.ref(OpenApiDocument.ERROR_SCHEMA)))));
            }
        });
        return responses;
    }

    /**
     * The errors this route can answer: 400 always (the server refuses malformed requests on every path), 401 and 403
     * unless public, 404 where the path names something, 413 where a body is read, 500 always.
     */
    static Map<String, Object> forRoute(Route route) {
        Map<String, Object> responses = new LinkedHashMap<>();
        add(responses, 400);
        if (!Route.PUBLIC.equals(route.access())) {
            add(responses, 401);
            add(responses, 403);
        }
        if (route.path().contains("{")) {
            add(responses, 404);
        }
        if (route.doc().request() != null || "POST".equals(route.method()) || "PUT".equals(route.method())) {
            add(responses, 413);
        }
        add(responses, 500);
        return responses;
    }

    private static void add(Map<String, Object> responses, int status) {
        responses.put(String.valueOf(status), Map.of("$ref", REF + KNOWN.get(status)[0]));
    }
}
