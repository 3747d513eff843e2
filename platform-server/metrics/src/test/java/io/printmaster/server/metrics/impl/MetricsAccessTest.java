package io.printmaster.server.metrics.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who may scrape: the rules of the metrics endpoint, decided without a server. */
class MetricsAccessTest {
    private static final String SITE_TOKEN = "site-metrics-token-0123456789";

    /** Stands for the security bundle: knows one token per caller, throws 401 for a revoked one. */
    private static final Authenticator TOKENS = credentials -> {
        String token = credentials.bearerToken().orElse("");
        return switch (token) {
            case "pmt_reader" -> Optional.of(caller(Set.of(Scopes.METRICS_READ), Optional.empty()));
            case "pmt_other" -> Optional.of(caller(Set.of(Scopes.AGENTS_READ), Optional.empty()));
            case "pmt_fleet" -> Optional.of(caller(Set.of(Scopes.METRICS_READ), Optional.of(Set.of("lab"))));
            case "pmt_revoked" -> throw ApiException.unauthorized("the token was revoked");
            default -> credentials.sessionCookie().filter("session-1"::equals)
                    .map(s -> new Caller("admin", Caller.Kind.SESSION, Scopes.ALL, Optional.empty(), Optional.of("csrf")));
        };
    };

    private static Caller caller(Set<String> scopes, Optional<Set<String>> fleets) {
        return new Caller("t", Caller.Kind.TOKEN, scopes, fleets, Optional.empty());
    }

    private final MetricsAccess access = new MetricsAccess(SITE_TOKEN);

    private MetricsAccess.Decision decide(String bearer, String session) {
        return access.decide(Optional.ofNullable(bearer), Optional.ofNullable(session), "127.0.0.1", List.of(TOKENS));
    }

    @Test
    void theSiteTokenOrAMetricsReadTokenOrTheConsoleSessionMayScrape() {
        assertTrue(decide(SITE_TOKEN, null).allowed());
        assertTrue(decide("pmt_reader", null).allowed());
        assertTrue(decide(null, "session-1").allowed());
    }

    @Test
    void nothingOrWrongCredentialsAre401() {
        assertEquals(401, decide(null, null).status());
        assertEquals(401, decide(SITE_TOKEN + "x", null).status());
        assertEquals(401, decide(SITE_TOKEN.substring(1), null).status());
        assertEquals(401, decide("pmt_unknown", null).status());
        MetricsAccess.Decision revoked = decide("pmt_revoked", null);
        assertEquals(401, revoked.status());
        assertEquals("the token was revoked", revoked.message());
    }

    @Test
    void aTokenWithoutTheScopeOrRestrictedToAFleetIs403() {
        MetricsAccess.Decision other = decide("pmt_other", null);
        assertEquals(403, other.status());
        assertTrue(other.message().contains(Scopes.METRICS_READ), other.message());
        MetricsAccess.Decision fleet = decide("pmt_fleet", null);
        assertEquals(403, fleet.status());
        assertTrue(fleet.message().contains("fleet-restricted"), fleet.message());
    }

    @Test
    void withoutAuthenticatorsOnlyTheSiteTokenOpens() {
        assertEquals(401, access.decide(Optional.of("pmt_reader"), Optional.empty(), "127.0.0.1", List.of()).status());
        assertTrue(access.decide(Optional.of(SITE_TOKEN), Optional.empty(), "127.0.0.1", List.of()).allowed());
    }

    @Test
    void withoutASiteTokenNoBearerMatchesIt() {
        MetricsAccess none = new MetricsAccess(null);
        assertEquals(401, none.decide(Optional.of(""), Optional.empty(), "127.0.0.1", List.of(TOKENS)).status());
    }

    @Test
    void aShortSiteTokenIsIgnoredAndThePropertyWinsOverTheVariable() {
        assertNull(MetricsServlet.siteToken("short", null));
        assertNull(MetricsServlet.siteToken(null, "  "));
        assertEquals(SITE_TOKEN, MetricsServlet.siteToken(SITE_TOKEN, "environment-token-0123456789"));
        assertEquals(SITE_TOKEN, MetricsServlet.siteToken("", SITE_TOKEN));
    }
}
