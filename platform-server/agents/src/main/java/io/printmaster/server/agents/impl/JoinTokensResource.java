package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.PageLimit;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.fleets.api.FleetDirectory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/fleets/{id}/join-tokens}: mint (the text is answered once), list (never the text) and revoke a
 * fleet's join tokens. A fleet the caller may not see answers 404 exactly like one that does not exist.
 */
@Component(service = RouteProvider.class)
public class JoinTokensResource implements RouteProvider {
    private final JoinTokenStore tokens;
    private final FleetDirectory fleets;

    @Activate
    public JoinTokensResource(@Reference JoinTokenStore tokens, @Reference FleetDirectory fleets) {
        this.tokens = tokens;
        this.fleets = fleets;
    }

    /** The body of a POST; both optional (an empty body takes the defaults). */
    public record CreateJoinToken(Integer ttlHours, Integer maxUses) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/fleets/{id}/join-tokens", Scopes.FLEETS_WRITE, this::create)
                        .doc("Mint a join token for the fleet", "The token itself is answered only here.")
                        .accepts(CreateJoinToken.class).returns(201, Map.class),
                Route.get("/api/v1/fleets/{id}/join-tokens", Scopes.FLEETS_READ, this::list)
                        .doc("List the fleet's join tokens (never their secrets), newest first",
                                "Paged: follow `next_cursor` until it is null.")
                        .query("limit", "page size (1-" + JoinTokenStore.MAX_PAGE + ", default " + DEFAULT_LIMIT + ")")
                        .query("cursor", "the `next_cursor` of the previous page")
                        .returns(Map.class),
                Route.delete("/api/v1/fleets/{id}/join-tokens/{token-id}", Scopes.FLEETS_WRITE, this::revoke)
                        .doc("Revoke a join token"));
    }

    ApiResponse create(ApiRequest req) throws Exception {
        String fleetId = visibleFleet(req);
        CreateJoinToken body = req.body().length == 0 ? new CreateJoinToken(null, null) : req.body(CreateJoinToken.class);
        int ttl = body.ttlHours() == null ? JoinTokenStore.DEFAULT_TTL_HOURS : body.ttlHours();
        if (ttl < 1 || ttl > JoinTokenStore.MAX_TTL_HOURS) {
            throw ApiException.invalid("ttl_hours", "ttl_hours must be between 1 and " + JoinTokenStore.MAX_TTL_HOURS
                    + " (default " + JoinTokenStore.DEFAULT_TTL_HOURS + ")");
        }
        if (body.maxUses() != null && body.maxUses() < 1) {
            throw ApiException.invalid("max_uses", "max_uses must be at least 1, or null for unlimited");
        }
        JoinTokenStore.NewJoinToken created = tokens.create(fleetId, ttl, body.maxUses(), req.requireCaller().name());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", created.info().id());
        out.put("token", created.token());
        out.put("fleet_id", fleetId);
        out.put("expires_at", created.info().expiresAt());
        out.put("max_uses", created.info().maxUses());
        return ApiResponse.created(out);
    }

    static final int DEFAULT_LIMIT = 100;

    private ApiResponse list(ApiRequest req) throws Exception {
        String fleetId = visibleFleet(req);
        int limit = PageLimit.of(req, DEFAULT_LIMIT, JoinTokenStore.MAX_PAGE);
        JoinTokenStore.TokenCursor after = req.query("cursor").isPresent() ? decodeCursor(req.query("cursor").get()) : null;
        List<JoinTokenStore.JoinTokenInfo> page = tokens.page(fleetId, after, limit);
        List<Map<String, Object>> out = new ArrayList<>();
        for (JoinTokenStore.JoinTokenInfo t : page) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", t.id());
            m.put("expires_at", t.expiresAt());
            m.put("max_uses", t.maxUses());
            m.put("uses", t.uses());
            m.put("revoked_at", t.revokedAt());
            m.put("created_at", t.createdAt());
            m.put("created_by", t.createdBy());
            m.put("installer", t.installer());
            out.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_tokens", out);
        JoinTokenStore.JoinTokenInfo last = page.isEmpty() ? null : page.get(page.size() - 1);
        body.put("next_cursor", page.size() == limit ? encodeCursor(last.createdAt(), last.id()) : null);
        return ApiResponse.ok(body);
    }

    /** Opaque to callers: the last token's creation time and id. */
    static String encodeCursor(java.time.Instant createdAt, String id) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                (createdAt + "\n" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static JoinTokenStore.TokenCursor decodeCursor(String cursor) throws ApiException {
        try {
            String plain = new String(java.util.Base64.getUrlDecoder().decode(cursor.strip()),
                    java.nio.charset.StandardCharsets.UTF_8);
            int nl = plain.indexOf('\n');
            if (nl > 0 && nl < plain.length() - 1) {
                return new JoinTokenStore.TokenCursor(java.time.Instant.parse(plain.substring(0, nl)),
                        plain.substring(nl + 1));
            }
        } catch (RuntimeException e) {
            // answered below
        }
        throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
    }

    private ApiResponse revoke(ApiRequest req) throws Exception {
        String fleetId = visibleFleet(req);
        if (!tokens.revoke(fleetId, req.pathParam("token-id"), req.requireCaller().name())) {
            throw ApiException.notFound("join token");
        }
        return ApiResponse.noContent();
    }

    /** The path's fleet when it exists and the caller may see it; 404 otherwise, so restricted callers learn nothing. */
    private String visibleFleet(ApiRequest req) throws Exception {
        String id = req.pathParam("id");
        if (!req.requireCaller().canSeeFleet(id) || fleets.find(id).isEmpty()) {
            throw ApiException.notFound("fleet");
        }
        return id;
    }
}
