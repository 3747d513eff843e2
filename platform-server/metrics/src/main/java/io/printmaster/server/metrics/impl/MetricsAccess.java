package io.printmaster.server.metrics.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Authenticator.RequestCredentials;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Who may read {@code /metrics}: a caller the platform's {@link Authenticator}s accept (an API token, the console
 * session) holding scope {@code metrics.read} and restricted to no fleet (the metrics cover every fleet), or a
 * scraper presenting the site's metrics token ({@code PM_METRICS_TOKEN}), compared in constant time. Everything
 * else is refused: 401 without valid credentials, 403 with credentials lacking the right.
 */
final class MetricsAccess {
    /** Shorter site tokens are refused: a scrape token guessed is the whole fleet's inventory read. */
    static final int MIN_TOKEN_LENGTH = 16;

    /** What to answer; {@code status} 0 lets the scrape go on. */
    record Decision(int status, String code, String message) {
        static final Decision ALLOWED = new Decision(0, null, null);

        boolean allowed() {
            return status == 0;
        }
    }

    private final byte[] siteToken;

    /** @param siteToken the configured metrics token, or null for none (a too short one must be refused before) */
    MetricsAccess(String siteToken) {
        this.siteToken = siteToken == null ? null : siteToken.getBytes(StandardCharsets.UTF_8);
    }

    Decision decide(Optional<String> bearer, Optional<String> session, String remoteAddress,
                    List<Authenticator> authenticators) {
        if (bearer.isPresent() && siteToken != null
                && MessageDigest.isEqual(siteToken, bearer.get().getBytes(StandardCharsets.UTF_8))) {
            return Decision.ALLOWED;
        }
        if (bearer.isEmpty() && session.isEmpty()) {
            return unauthorized("authentication required: send 'Authorization: Bearer <token>' with an API token "
                    + "holding scope '" + Scopes.METRICS_READ + "' or the metrics token");
        }
        Optional<Caller> caller = Optional.empty();
        RequestCredentials credentials = new RequestCredentials(bearer, session, remoteAddress);
        try {
            for (Authenticator a : authenticators) {
                caller = a.authenticate(credentials);
                if (caller.isPresent()) {
                    break;
                }
            }
        } catch (ApiException e) {
            return new Decision(e.status(), e.code(), e.getMessage());
        }
        if (caller.isEmpty()) {
            return unauthorized("the token or session is not valid");
        }
        Caller c = caller.get();
        if (!c.hasScope(Scopes.METRICS_READ)) {
            return new Decision(403, "forbidden", "this needs scope '" + Scopes.METRICS_READ + "'");
        }
        if (c.fleets().isPresent()) {
            return new Decision(403, "forbidden", "the metrics cover every fleet: a fleet-restricted token cannot "
                    + "read them; use an unrestricted token with scope '" + Scopes.METRICS_READ + "'");
        }
        return Decision.ALLOWED;
    }

    private static Decision unauthorized(String message) {
        return new Decision(401, "unauthorized", message);
    }
}
