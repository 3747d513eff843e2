package io.printmaster.server.fleets.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.PageLimit;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.fleets.api.Fleet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/fleets}: create, list, read, rename and delete fleets. A caller restricted to some fleets sees only
 * those; any other fleet answers 404 exactly as if it did not exist.
 */
@Component(service = RouteProvider.class)
public class FleetsResource implements RouteProvider {
    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 1000;

    private final FleetStore store;

    @Activate
    public FleetsResource(@Reference FleetStore store) {
        this.store = store;
    }

    public record CreateFleet(String id, String name, String description) {
    }

    public record UpdateFleet(String name, String description) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/fleets", Scopes.FLEETS_READ, this::list)
                        .doc("List fleets, by id", "Paged: follow `next_cursor` until it is null.")
                        .query("limit", "page size (1-" + MAX_LIMIT + ", default " + DEFAULT_LIMIT + ")")
                        .query("cursor", "the `next_cursor` of the previous page")
                        .returns(JsonTypes.objectWithList("fleets", Fleet.class).andNullable("next_cursor", String.class)),
                // a token limited to some fleets cannot create others it could then not see
                Route.post("/api/v1/fleets", Scopes.FLEETS_WRITE, this::create).asServerWide()
                        .doc("Create a fleet").accepts(CreateFleet.class).returns(201, Fleet.class),
                Route.get("/api/v1/fleets/{id}", Scopes.FLEETS_READ, req -> ApiResponse.ok(visible(req, req.pathParam("id"))))
                        .doc("Read a fleet").returns(Fleet.class),
                Route.put("/api/v1/fleets/{id}", Scopes.FLEETS_WRITE, this::update)
                        .doc("Rename or describe a fleet").accepts(UpdateFleet.class).returns(Fleet.class),
                Route.delete("/api/v1/fleets/{id}", Scopes.FLEETS_WRITE, this::delete)
                        .doc("Delete a fleet and its own policy"));
    }

    private ApiResponse list(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        int limit = PageLimit.of(req, DEFAULT_LIMIT, MAX_LIMIT);
        String after = null;
        if (req.query("cursor").isPresent()) {
            after = decodeCursor(req.query("cursor").get());
        }
        // a restricted caller's fleets are filtered in the query, so its pages are full too
        List<Fleet> fleets = store.page(after, caller.fleets(), limit);
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("fleets", fleets);
        body.put("next_cursor", fleets.size() == limit ? encodeCursor(fleets.get(fleets.size() - 1).id()) : null);
        return ApiResponse.ok(body);
    }

    /** The cursor is the last id of the page, opaque to callers (they pass it back as it was). */
    static String encodeCursor(String lastId) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("f:" + lastId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static String decodeCursor(String cursor) throws ApiException {
        try {
            String plain = new String(java.util.Base64.getUrlDecoder().decode(cursor.strip()),
                    java.nio.charset.StandardCharsets.UTF_8);
            if (plain.startsWith("f:") && ID.matcher(plain.substring(2)).matches()) {
                return plain.substring(2);
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
    }

    ApiResponse create(ApiRequest req) throws Exception {
        CreateFleet body = req.body(CreateFleet.class);
        if (body.id() == null || !ID.matcher(body.id()).matches()) {
            throw ApiException.invalid("id", "id is required: 1-63 lowercase letters, digits or dashes, starting with a letter or digit");
        }
        Caller caller = req.requireCaller();
        String name = requireName(body.name());
        Fleet created = store.create(body.id(), name, description(body.description()), caller.name())
                .orElseThrow(() -> ApiException.conflict("id", "a fleet with id '" + body.id() + "' already exists"));
        return ApiResponse.created(created).header("Location", "/api/v1/fleets/" + created.id());
    }

    private ApiResponse update(ApiRequest req) throws Exception {
        Fleet current = visible(req, req.pathParam("id"));
        UpdateFleet body = req.body(UpdateFleet.class);
        String name = requireName(body.name());
        Fleet updated = store.update(current.id(), name, description(body.description()), req.requireCaller().name())
                .orElseThrow(() -> ApiException.notFound("fleet"));
        return ApiResponse.ok(updated);
    }

    private ApiResponse delete(ApiRequest req) throws Exception {
        Fleet current = visible(req, req.pathParam("id"));
        if (!store.delete(current.id(), req.requireCaller().name())) {
            throw ApiException.notFound("fleet");
        }
        return ApiResponse.noContent();
    }

    /** The fleet, if it exists and the caller may see it; 404 in both other cases, so restricted tokens learn nothing. */
    private Fleet visible(ApiRequest req, String id) throws Exception {
        if (!req.requireCaller().canSeeFleet(id)) {
            throw ApiException.notFound("fleet");
        }
        return store.find(id).orElseThrow(() -> ApiException.notFound("fleet"));
    }

    private static String requireName(String name) throws ApiException {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.length() > 200) {
            throw ApiException.invalid("name", "name is required, at most 200 characters");
        }
        return n;
    }

    private static String description(String d) throws ApiException {
        if (d == null || d.isBlank()) {
            return null;
        }
        if (d.length() > 2000) {
            throw ApiException.invalid("description", "at most 2000 characters");
        }
        return d.strip();
    }
}
