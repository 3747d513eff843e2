package io.printmaster.http.api;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a route tells readers of the API description ({@code GET /api/v1/openapi.json}) beyond what the dispatcher
 * needs: a summary, the JSON types it reads and answers, its query parameters. Purely descriptive: the dispatcher
 * never checks a body against it. Build it through {@link Route}'s withers ({@link Route#doc}, {@link Route#accepts},
 * {@link Route#returns}, {@link Route#query}, {@link Route#produces}); {@link #NONE} when a route says nothing, and
 * the description then makes up a summary from the method and path.
 *
 * @param summary     one line saying what the route does, or null
 * @param description longer text (CommonMark), or null
 * @param request     the type the JSON body is read as (a record, {@link JsonTypes#listOf}...), or null
 * @param response    the type of the JSON answer, or null when the route answers no JSON body
 * @param status      the success status, or 0 for the method's usual one (200; 204 for a DELETE without a body)
 * @param mediaType   the content type of a body that is not JSON (a download, an event stream), or null
 * @param query       the query parameters the route reads
 * @since 1.7
 */
public record RouteDoc(String summary, String description, Type request, Type response, int status, String mediaType,
                       List<QueryParam> query) {

    /** Nothing said. */
    public static final RouteDoc NONE = new RouteDoc(null, null, null, null, 0, null, List.of());

    /** One query parameter: its name and what it does; always optional, read as a string. */
    public record QueryParam(String name, String description) {
        public QueryParam {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
        }
    }

    public RouteDoc {
        query = List.copyOf(query == null ? List.of() : query);
        if (status != 0 && (status < 200 || status > 299)) {
            throw new IllegalArgumentException("a success status is 2xx, not " + status);
        }
    }

    RouteDoc withSummary(String newSummary, String newDescription) {
        return new RouteDoc(newSummary, newDescription, request, response, status, mediaType, query);
    }

    RouteDoc withRequest(Type newRequest) {
        return new RouteDoc(summary, description, newRequest, response, status, mediaType, query);
    }

    RouteDoc withResponse(int newStatus, Type newResponse, String newMediaType) {
        return new RouteDoc(summary, description, request, newResponse, newStatus, newMediaType, query);
    }

    RouteDoc withQuery(QueryParam param) {
        List<QueryParam> more = new ArrayList<>(query);
        more.add(param);
        return new RouteDoc(summary, description, request, response, status, mediaType, more);
    }
}
