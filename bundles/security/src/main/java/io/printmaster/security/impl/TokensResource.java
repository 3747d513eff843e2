package io.printmaster.security.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.PageLimit;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * API tokens, managed by the administrator's console session only: a token cannot mint tokens, so a leaked token
 * can never widen its own reach.
 */
@Component(service = RouteProvider.class)
public class TokensResource implements RouteProvider {
    /** Fleet ids as the fleets API accepts them. */
    static final Pattern FLEET_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private final ApiTokenStore tokens;

    @Activate
    public TokensResource(@Reference ApiTokenStore tokens) {
        this.tokens = tokens;
    }

    public record CreateTokenRequest(String name, List<String> scopes, List<String> fleets, Integer expiresInDays) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/auth/tokens", Route.ADMIN, this::create)
                        .doc("Mint an API token", "The token itself is answered only here.")
                        .accepts(CreateTokenRequest.class).returns(201, Map.class),
                Route.get("/api/v1/auth/tokens", Route.ADMIN, this::list)
                        .doc("List the API tokens (never their secrets), newest first",
                                "Paged: follow `next_cursor` until it is null.")
                        .query("limit", "page size (1-" + ApiTokenStore.MAX_PAGE + ", default " + DEFAULT_LIMIT + ")")
                        .query("cursor", "the `next_cursor` of the previous page")
                        .returns(JsonTypes.objectWithList("tokens", ApiTokenStore.TokenInfo.class)
                                .andNullable("next_cursor", String.class)),
                Route.delete("/api/v1/auth/tokens/{id}", Route.ADMIN, this::revoke).doc("Revoke an API token"));
    }

    static final int DEFAULT_LIMIT = 100;

    ApiResponse list(ApiRequest req) throws Exception {
        int limit = PageLimit.of(req, DEFAULT_LIMIT, ApiTokenStore.MAX_PAGE);
        java.time.Instant afterCreatedAt = null;
        String afterId = null;
        if (req.query("cursor").isPresent()) {
            try {
                String plain = new String(java.util.Base64.getUrlDecoder().decode(req.query("cursor").get().strip()),
                        java.nio.charset.StandardCharsets.UTF_8);
                int nl = plain.indexOf('\n');
                afterCreatedAt = java.time.Instant.parse(plain.substring(0, nl));
                afterId = plain.substring(nl + 1);
            } catch (RuntimeException e) {
                throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
            }
            if (afterId.isEmpty()) {
                throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
            }
        }
        List<ApiTokenStore.TokenInfo> page = tokens.page(afterCreatedAt, afterId, limit);
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("tokens", page);
        ApiTokenStore.TokenInfo last = page.isEmpty() ? null : page.get(page.size() - 1);
        body.put("next_cursor", page.size() == limit ? java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                (last.createdAt() + "\n" + last.id()).getBytes(java.nio.charset.StandardCharsets.UTF_8)) : null);
        return ApiResponse.ok(body);
    }

    ApiResponse create(ApiRequest req) throws Exception {
        CreateTokenRequest body = req.body(CreateTokenRequest.class);
        String name = body.name() == null ? "" : body.name().strip();
        if (name.isEmpty() || name.length() > 100) {
            throw ApiException.invalid("name", "name is required, at most 100 characters");
        }
        if (body.scopes() == null || body.scopes().isEmpty()) {
            throw ApiException.invalid("scopes", "at least one scope is required; known scopes: " + String.join(" ", Scopes.ORDERED));
        }
        Set<String> scopes = new LinkedHashSet<>();
        for (int i = 0; i < body.scopes().size(); i++) {
            String s = body.scopes().get(i);
            if (s == null || !Scopes.ALL.contains(s)) {
                throw ApiException.invalid("scopes[" + i + "]", "unknown scope '" + s + "'; known scopes: " + String.join(" ", Scopes.ORDERED));
            }
            scopes.add(s);
        }
        Optional<Set<String>> fleets = Optional.empty();
        if (body.fleets() != null) {
            if (body.fleets().isEmpty()) {
                throw ApiException.invalid("fleets", "omit fleets for an unrestricted token; an empty list would see nothing");
            }
            Set<String> f = new LinkedHashSet<>();
            for (int i = 0; i < body.fleets().size(); i++) {
                String id = body.fleets().get(i);
                if (id == null || !FLEET_ID.matcher(id).matches()) {
                    throw ApiException.invalid("fleets[" + i + "]", "not a fleet id: '" + id + "'");
                }
                f.add(id);
            }
            fleets = Optional.of(f);
        }
        Optional<Instant> expires = Optional.empty();
        if (body.expiresInDays() != null) {
            if (body.expiresInDays() < 1 || body.expiresInDays() > 3650) {
                throw ApiException.invalid("expires_in_days", "must be between 1 and 3650");
            }
            expires = Optional.of(Instant.now().plus(Duration.ofDays(body.expiresInDays())));
        }
        ApiTokenStore.NewToken created = tokens.create(name, scopes, fleets, expires, req.requireCaller().name());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", created.token());
        out.put("id", created.info().id());
        out.put("name", created.info().name());
        out.put("scopes", created.info().scopes());
        out.put("fleets", created.info().fleets());
        out.put("expires_at", created.info().expiresAt());
        return ApiResponse.created(out);
    }

    private ApiResponse revoke(ApiRequest req) throws Exception {
        if (!tokens.revoke(req.pathParam("id"), req.requireCaller().name())) {
            throw ApiException.notFound("token");
        }
        return ApiResponse.noContent();
    }
}
