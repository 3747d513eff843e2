package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteRegistry;
import io.printmaster.http.api.Scopes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * Walks every route the running server serves and proves over real HTTP that each one enforces the access it
 * declares: nobody gets 401, a token lacking the route's scope gets 403, a token never passes an admin-only route;
 * a token restricted to one fleet sees the others as absent; a console session cannot change anything without its
 * CSRF token. (Login rate limiting blocks the test's address, so it has its own class: {@link LoginRateLimitIT}.)
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RouteAuthorizationIT {
    /** Routes meant to be open to anyone. A new public route must be added here on purpose, after a review. */
    static final Set<String> PUBLIC_ROUTES = Set.of("GET /api/v1/health", "POST /api/v1/auth/login",
            // an agent holds nothing but a join token when it enrolls; rate-limited per address
            "POST /api/v1/agents/enroll",
            // the API's description: says which routes exist and what they need, which the docs say too
            "GET /api/v1/openapi.json");

    private static final AtomicInteger NAMES = new AtomicInteger();

    @Inject
    BundleContext context;

    @Inject
    RouteRegistry registry;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("routes"), ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()));
    }

    private ApiClient anonymous() throws Exception {
        ApiClient c = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        c.awaitHealthy();
        return c;
    }

    private ApiClient admin() throws Exception {
        return anonymous().login(context.getProperty("pm.admin.password"));
    }

    /** Every route, once the platform's route providers have all registered theirs. */
    private List<Route> routes() throws Exception {
        Eventually.within(Duration.ofSeconds(20), () -> {
            Set<String> keys = new TreeSet<>();
            registry.routes().forEach(r -> keys.add(key(r)));
            for (String expected : List.of("GET /api/v1/health", "POST /api/v1/auth/login", "POST /api/v1/auth/tokens",
                    "GET /api/v1/fleets/{id}", "PUT /api/v1/update-policies/{scope}", "GET /api/v1/plugins",
                    "GET /api/v1/audit", "POST /api/v1/agents/enroll", "GET /api/v1/agents",
                    "POST /api/v1/agents/update/manifest", "GET /api/v1/fleets/{id}/join-tokens",
                    "POST /api/v1/agents/update/telemetry", "GET /api/v1/agents/{id}/telemetry",
                    "POST /api/v1/agents/{id}/commands", "GET /api/v1/agents/update/bundle/{version}/{target}/{sha256}",
                    "GET /api/v1/installers/formats", "GET /api/v1/installers/{fleet}/{platform}",
                    "GET /api/v1/server/update", "PUT /api/v1/server/update/policy", "POST /api/v1/server/update/run",
                    "GET /api/v1/server/update/runs")) {
                assertTrue(expected + " is not served yet; routes: " + keys, keys.contains(expected));
            }
        });
        return registry.routes();
    }

    private static String key(Route r) {
        return r.method() + " " + r.path();
    }

    private static String unique(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100_000, 36);
    }

    private static String createFleet(ApiClient admin, String id) throws Exception {
        ApiClient.Response r = admin.post("/api/v1/fleets", Map.of("id", id, "name", "Fleet " + id));
        assertEquals("create fleet: " + r.body(), 201, r.status());
        return id;
    }

    /** Enrolls an agent into the fleet through the API; returns it as an API client holding its credential. */
    private static ApiClient enrolledAgent(ApiClient admin, String fleet) throws Exception {
        return admin.withToken((String) enroll(admin, fleet).get("credential"));
    }

    /** Enrolls an agent into the fleet; returns the enrollment answer ({@code agent_id, credential, fleet_id}). */
    private static Map<String, Object> enroll(ApiClient admin, String fleet) throws Exception {
        ApiClient.Response token = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("max_uses", 1));
        assertEquals("mint join token: " + token.body(), 201, token.status());
        ApiClient.Response enrolled = admin.post("/api/v1/agents/enroll", Map.of("join_token", token.json().get("token"),
                "hostname", "h-" + fleet, "platform", "linux", "arch", "amd64", "current_version", "1.0.0"));
        assertEquals("enroll: " + enrolled.body(), 201, enrolled.status());
        return enrolled.json();
    }

    /** A path of the template with plausible values: a real fleet, a real token. */
    private static String fill(String template, String fleetId, String tokenId) {
        String path = template.startsWith("/api/v1/auth/tokens/") ? template.replace("{id}", tokenId) : template;
        return path.replaceAll("\\{[^}/]+}", fleetId);
    }

    /** A body that would be acceptable in shape, for methods that carry one; authorization is checked before it is read. */
    private static Object bodyFor(Route r) {
        return r.method().equals("POST") || r.method().equals("PUT") ? "{}" : null;
    }

    @Test
    public void onlyTheReviewedRoutesArePublic() throws Exception {
        List<String> unexpected = new ArrayList<>();
        for (Route r : routes()) {
            if (Route.PUBLIC.equals(r.access()) && !PUBLIC_ROUTES.contains(key(r))) {
                unexpected.add(key(r));
            }
        }
        assertEquals("public routes nobody reviewed", List.of(), unexpected);
    }

    @Test
    public void anonymousCallersGet401OnEveryNonPublicRoute() throws Exception {
        ApiClient admin = admin();
        String fleet = createFleet(admin, unique("anon"));
        ApiClient nobody = anonymous();
        int checked = 0;
        for (Route r : routes()) {
            if (Route.PUBLIC.equals(r.access())) {
                continue;
            }
            String path = fill(r.path(), fleet, UUID.randomUUID().toString());
            ApiClient.Response resp = nobody.send(r.method(), path, bodyFor(r));
            assertEquals(key(r), "unauthorized", resp.assertError(401, r.method() + " " + path));
            assertTrue(key(r) + " tells how to authenticate", String.valueOf(resp.header("WWW-Authenticate")).startsWith("Bearer"));
            checked++;
        }
        assertTrue("non-public routes checked: " + checked, checked >= 10);
        // nothing was done on the caller's behalf
        assertEquals(200, admin.get("/api/v1/fleets/" + fleet).status());
    }

    /**
     * Regression: a request refused before its body was read left the body on the connection, Jetty closed it
     * silently, and the client's next request on it failed with an empty reply (about 1 in 50 requests).
     */
    @Test
    public void refusedRequestsWithABodyDoNotBreakTheNextRequest() throws Exception {
        ApiClient nobody = anonymous();
        for (int i = 0; i < 100; i++) {
            assertEquals(401, nobody.post("/api/v1/fleets", Map.of("id", "x" + i, "name", "x")).status());
            assertEquals(401, nobody.send("DELETE", "/api/v1/fleets/x" + i, null).status());
        }
    }

    @Test
    public void unknownAndRevokedTokensGet401() throws Exception {
        ApiClient admin = admin();
        ApiClient.Response created = admin.post("/api/v1/auth/tokens",
                Map.of("name", unique("soon-revoked"), "scopes", List.of(Scopes.FLEETS_READ)));
        assertEquals(created.body(), 201, created.status());
        ApiClient holder = admin.withToken((String) created.json().get("token"));
        assertEquals("the token works before it is revoked", 200, holder.get("/api/v1/fleets").status());

        ApiClient.Response revoked = admin.send("DELETE", "/api/v1/auth/tokens/" + created.json().get("id"), null);
        assertEquals(revoked.body(), 204, revoked.status());
        assertEquals("unauthorized", holder.get("/api/v1/fleets").assertError(401, "a revoked token"));
        assertEquals("unauthorized", admin.withToken("pmt_" + UUID.randomUUID()).get("/api/v1/fleets")
                .assertError(401, "a token the server never issued"));
    }

    @Test
    public void aTokenLackingTheRoutesScopeGets403OnEveryScopedRoute() throws Exception {
        ApiClient admin = admin();
        String fleet = createFleet(admin, unique("scoped"));
        // for each scope, a token holding every scope but that one
        Map<String, ApiClient> allBut = new HashMap<>();
        for (String scope : Scopes.ORDERED) {
            List<String> others = Scopes.ORDERED.stream().filter(s -> !s.equals(scope)).toList();
            allBut.put(scope, admin.withToken(admin.createToken(unique("without-" + scope), others, null)));
        }
        ApiClient everything = admin.withToken(admin.createToken(unique("all-scopes"), Scopes.ORDERED, null));
        // the agent scope is no API token's: an enrolled agent holds it, and nothing else
        ApiClient agent = enrolledAgent(admin, fleet);
        String tokenId = UUID.randomUUID().toString();
        int checked = 0;
        int agentRoutes = 0;
        for (Route r : routes()) {
            if (Route.PUBLIC.equals(r.access()) || Route.ADMIN.equals(r.access())) {
                continue;
            }
            boolean agentRoute = Scopes.AGENT.equals(r.access());
            String path = fill(r.path(), fleet, tokenId);
            ApiClient.Response refused = (agentRoute ? everything : allBut.get(r.access())).send(r.method(), path, bodyFor(r));
            assertEquals(key(r), "forbidden", refused.assertError(403, r.method() + " " + path + " without " + r.access()));
            assertTrue(key(r) + " names the missing scope: " + refused.body(), refused.body().contains(r.access()));
            if (!agentRoute) {
                ApiClient.Response byAgent = agent.send(r.method(), path, bodyFor(r));
                assertEquals(key(r), "forbidden", byAgent.assertError(403, r.method() + " " + path + " by an agent"));
            } else {
                agentRoutes++;
            }
            // (the event stream never ends: EventStreamIT opens it with its scope)
            if (r.method().equals("GET") && !key(r).equals("GET /api/v1/events")) {
                // the same request with the scope passes authorization: the 403 above was about the scope
                ApiClient.Response allowed = (agentRoute ? agent : everything).get(path);
                assertNotEquals(key(r) + " with its scope: " + allowed.body(), 401, allowed.status());
                assertNotEquals(key(r) + " with its scope: " + allowed.body(), 403, allowed.status());
            }
            checked++;
        }
        assertTrue("agent routes checked: " + agentRoutes, agentRoutes >= 3);
        assertTrue("scoped routes checked: " + checked, checked >= 8);
        assertEquals("the fleet is untouched", 200, admin.get("/api/v1/fleets/" + fleet).status());
    }

    @Test
    public void adminOnlyRoutesRefuseEveryToken() throws Exception {
        ApiClient admin = admin();
        String fleet = createFleet(admin, unique("admin"));
        ApiClient everything = admin.withToken(admin.createToken(unique("all-scopes"), Scopes.ORDERED, null));
        ApiClient agent = enrolledAgent(admin, fleet);
        List<Map<String, Object>> tokensBefore = tokens(admin);
        List<Object> idsBefore = tokensBefore.stream().map(t -> t.get("id")).toList();
        int checked = 0;
        for (Route r : routes()) {
            if (!Route.ADMIN.equals(r.access())) {
                continue;
            }
            String path = fill(r.path(), fleet, (String) tokensBefore.get(0).get("id"));
            ApiClient.Response refused = everything.send(r.method(), path, bodyFor(r));
            assertEquals(key(r), "forbidden", refused.assertError(403, r.method() + " " + path + " with an all-scopes token"));
            assertEquals(key(r), "forbidden", agent.send(r.method(), path, bodyFor(r))
                    .assertError(403, r.method() + " " + path + " by an agent"));
            checked++;
        }
        assertTrue("admin routes checked: " + checked, checked >= 3);
        // a token cannot mint or revoke tokens: the same tokens, none revoked
        List<Map<String, Object>> tokensAfter = tokens(admin);
        assertEquals(idsBefore, tokensAfter.stream().map(t -> t.get("id")).toList());
        assertTrue(tokensAfter.toString(), tokensAfter.stream().allMatch(t -> t.get("revoked_at") == null));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tokens(ApiClient admin) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/auth/tokens");
        assertEquals(r.body(), 200, r.status());
        return (List<Map<String, Object>>) r.json().get("tokens");
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aTokenRestrictedToOneFleetSeesNoOther() throws Exception {
        ApiClient admin = admin();
        String a = createFleet(admin, unique("fleet-a"));
        String b = createFleet(admin, unique("fleet-b"));
        // something in B's history beyond its creation
        ApiClient.Response renamed = admin.send("PUT", "/api/v1/fleets/" + b, Map.of("name", "B renamed"));
        assertEquals(renamed.body(), 200, renamed.status());
        ApiClient onlyA = admin.withToken(admin.createToken(unique("only-a"), Scopes.ORDERED, List.of(a)));

        assertEquals(200, onlyA.get("/api/v1/fleets/" + a).status());
        assertEquals("not_found", onlyA.get("/api/v1/fleets/" + b).assertError(404, "GET fleet B"));
        assertEquals(200, onlyA.get("/api/v1/update-policies/" + a).status());
        assertEquals("not_found", onlyA.get("/api/v1/update-policies/" + b).assertError(404, "GET policy of B"));
        // B looks exactly like a fleet that does not exist
        ApiClient.Response missing = onlyA.get("/api/v1/fleets/" + unique("no-such-fleet"));
        assertEquals(missing.json(), onlyA.get("/api/v1/fleets/" + b).json());
        // nor its installers: B's look like those of a fleet that does not exist
        ApiClient.Response installerOfB = onlyA.get("/api/v1/installers/" + b + "/linux-amd64");
        assertEquals("not_found", installerOfB.assertError(404, "GET installer of B"));
        assertEquals(onlyA.get("/api/v1/installers/" + unique("no-such-fleet") + "/linux-amd64").json().get("error").toString()
                .replaceAll("'[^']*'", "'x'"), installerOfB.json().get("error").toString().replaceAll("'[^']*'", "'x'"));

        // B's join tokens and agents look absent too
        ApiClient.Response bToken = admin.post("/api/v1/fleets/" + b + "/join-tokens", Map.of());
        assertEquals(bToken.body(), 201, bToken.status());
        assertEquals(200, onlyA.get("/api/v1/fleets/" + a + "/join-tokens").status());
        assertEquals("not_found", onlyA.get("/api/v1/fleets/" + b + "/join-tokens").assertError(404, "GET join tokens of B"));
        assertEquals("not_found", onlyA.post("/api/v1/fleets/" + b + "/join-tokens", Map.of()).assertError(404, "POST join token for B"));
        assertEquals("not_found", onlyA.send("DELETE", "/api/v1/fleets/" + b + "/join-tokens/" + bToken.json().get("id"), null)
                .assertError(404, "DELETE join token of B"));
        assertFalse("B's token was not revoked", admin.get("/api/v1/fleets/" + b + "/join-tokens").body().contains("\"revoked_at\":\""));
        String agentA = (String) enroll(admin, a).get("agent_id");
        String agentB = (String) enroll(admin, b).get("agent_id");
        assertEquals(200, onlyA.get("/api/v1/agents/" + agentA).status());
        assertEquals("not_found", onlyA.get("/api/v1/agents/" + agentB).assertError(404, "GET agent of B"));
        assertEquals("not_found", onlyA.send("DELETE", "/api/v1/agents/" + agentB, null).assertError(404, "DELETE agent of B"));
        assertEquals(onlyA.get("/api/v1/agents/agt_nonexistent").json(), onlyA.get("/api/v1/agents/" + agentB).json());
        List<String> agentsSeen = new ArrayList<>();
        for (Map<String, Object> ag : (List<Map<String, Object>>) onlyA.get("/api/v1/agents").json().get("agents")) {
            agentsSeen.add((String) ag.get("fleet"));
        }
        assertEquals("agents listed to a token restricted to " + a, List.of(a), agentsSeen);
        assertEquals("B's agent is not revoked", null, admin.get("/api/v1/agents/" + agentB).json().get("revoked_at"));

        List<String> visible = new ArrayList<>();
        for (Map<String, Object> f : (List<Map<String, Object>>) onlyA.get("/api/v1/fleets").json().get("fleets")) {
            visible.add((String) f.get("id"));
        }
        assertEquals("fleets listed to a token restricted to " + a, List.of(a), visible);

        ApiClient.Response audit = onlyA.get("/api/v1/audit?limit=200");
        assertEquals(audit.body(), 200, audit.status());
        List<Map<String, Object>> entries = (List<Map<String, Object>>) audit.json().get("entries");
        assertFalse("A's own history is visible: " + audit.body(), entries.isEmpty());
        for (Map<String, Object> e : entries) {
            assertEquals("audit entry shown to a token restricted to " + a + ": " + e, a, e.get("fleet"));
        }
        // while the administrator sees B's entries
        assertTrue(admin.get("/api/v1/audit?limit=200").body().contains("\"fleet\":\"" + b + "\""));
    }

    /** The writes that change what every fleet shares; each must be declared server-wide on its route. */
    static final Set<String> SERVER_WIDE_WRITES = Set.of("POST /api/v1/releases/signing-keys/rotate",
            "POST /api/v1/releases/manifests/regenerate", "POST /api/v1/releases/sync", "POST /api/v1/release-sources",
            "DELETE /api/v1/release-sources/{name}", "PUT /api/v1/update-policies/global", "POST /api/v1/fleets",
            "POST /api/v1/releases/signing-keys/{id}/revoke", "POST /api/v1/releases/trust/statements",
            "POST /api/v1/webhooks", "DELETE /api/v1/webhooks/{id}");

    /**
     * A token restricted to one fleet changes nothing shared by all fleets, whichever scopes it holds: every
     * server-wide write answers 403 saying why (or naming the scope it lacks), and nothing changed. On its own
     * fleet's routes the same token passes authorization.
     */
    @Test
    @SuppressWarnings("unchecked")
    public void aFleetRestrictedTokenChangesNothingServerWide() throws Exception {
        ApiClient admin = admin();
        String a = createFleet(admin, unique("own"));
        List<Route> all = routes();
        Set<String> declared = new TreeSet<>();
        all.stream().filter(Route::serverWide).forEach(r -> declared.add(key(r)));
        assertTrue("server-wide writes declared: " + declared, declared.containsAll(SERVER_WIDE_WRITES));

        // the signing key itself may be created meanwhile by a background sync (on first use); a rotation would show here
        String rotationsBefore = admin.get("/api/v1/releases/signing-keys/rotations").body();
        String trustBefore = admin.get("/api/v1/releases/trust").body();
        List<Object> sourcesBefore = sourceNames(admin);
        String globalBefore = admin.get("/api/v1/update-policies/global").body();
        String fleetsBefore = admin.get("/api/v1/fleets").body();

        Map<String, ApiClient> restricted = new HashMap<>();
        for (String scope : Scopes.ORDERED) {
            restricted.put(scope, admin.withToken(admin.createToken(unique("only-a-" + scope), List.of(scope), List.of(a))));
        }
        restricted.put("every scope", admin.withToken(admin.createToken(unique("only-a-all"), Scopes.ORDERED, List.of(a))));
        Object fleetBody = Map.of("id", unique("sneaky"), "name", "Sneaky");
        int checked = 0;
        for (Route r : all) {
            if (!r.serverWide()) {
                continue;
            }
            String path = fill(r.path(), a, UUID.randomUUID().toString());
            Object body = key(r).equals("POST /api/v1/fleets") ? fleetBody : bodyFor(r);
            for (Map.Entry<String, ApiClient> holder : restricted.entrySet()) {
                String what = r.method() + " " + path + " by a token restricted to " + a + " with " + holder.getKey();
                ApiClient.Response refused = holder.getValue().send(r.method(), path, body);
                assertEquals(what, "forbidden", refused.assertError(403, what));
                boolean holdsScope = holder.getKey().equals("every scope") || holder.getKey().equals(r.access());
                String expected = holdsScope ? "fleet-restricted token cannot change server-wide settings" : r.access();
                assertTrue(what + ": " + refused.body(), refused.body().contains(expected));
                checked++;
            }
        }
        assertTrue("server-wide refusals checked: " + checked, checked >= SERVER_WIDE_WRITES.size() * 2);
        assertEquals("no rotation", rotationsBefore, admin.get("/api/v1/releases/signing-keys/rotations").body());
        assertEquals("no trust statement (revocation, delegation)", trustBefore, admin.get("/api/v1/releases/trust").body());
        List<Map<String, Object>> keys = (List<Map<String, Object>>) admin.get("/api/v1/releases/signing-keys").json().get("keys");
        assertTrue("one signing key at most, never rotated: " + keys,
                keys.size() <= 1 && keys.stream().allMatch(k -> k.get("rotated_at") == null));
        assertEquals("the release sources are unchanged", sourcesBefore, sourceNames(admin));
        assertEquals("the global policy is unchanged", globalBefore, admin.get("/api/v1/update-policies/global").body());
        assertEquals("no fleet was created", fleetsBefore, admin.get("/api/v1/fleets").body());

        // its own fleet's writes pass authorization (deleting the fleet last, so the others still find it)
        ApiClient onlyA = restricted.get("every scope");
        List<Route> ownWrites = new ArrayList<>(all.stream().filter(r -> !r.serverWide() && !r.method().equals("GET")
                && Scopes.ORDERED.contains(r.access())).toList());
        ownWrites.sort((x, y) -> Boolean.compare(key(x).equals("DELETE /api/v1/fleets/{id}"), key(y).equals("DELETE /api/v1/fleets/{id}")));
        assertTrue("own-fleet writes: " + ownWrites, ownWrites.size() >= 6);
        for (Route r : ownWrites) {
            String path = fill(r.path(), a, UUID.randomUUID().toString());
            ApiClient.Response allowed = onlyA.send(r.method(), path, bodyFor(r));
            assertNotEquals(key(r) + " on its own fleet: " + allowed.body(), 401, allowed.status());
            assertNotEquals(key(r) + " on its own fleet: " + allowed.body(), 403, allowed.status());
        }
        ApiClient.Response ownPolicy = onlyA.send("PUT", "/api/v1/update-policies/" + createFleet(admin, unique("own-policy")), null);
        assertEquals("a fleet it cannot see stays absent", "not_found", ownPolicy.assertError(404, "PUT policy of another fleet"));
    }

    /** The configured release sources' names (their state, such as {@code active}, may change meanwhile). */
    @SuppressWarnings("unchecked")
    private static List<Object> sourceNames(ApiClient admin) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/release-sources");
        assertEquals(r.body(), 200, r.status());
        return ((List<Map<String, Object>>) r.json().get("sources")).stream().map(src -> src.get("name")).toList();
    }

    /** A minimal valid telemetry transition. */
    private static Map<String, Object> transition(String status) {
        return Map.of("run_id", "run-" + NAMES.incrementAndGet(), "status", status, "current_version", "1.0.0");
    }

    /**
     * Telemetry is reported only by an agent, for itself; it is read with agents.read and commands need agents.write;
     * both treat an agent of a fleet the caller may not see as absent.
     */
    @Test
    @SuppressWarnings("unchecked")
    public void telemetryAndCommandsCheckTheCallersScopeAndFleets() throws Exception {
        ApiClient admin = admin();
        String a = createFleet(admin, unique("tel-a"));
        String b = createFleet(admin, unique("tel-b"));
        Map<String, Object> enrolledA = enroll(admin, a);
        Map<String, Object> enrolledB = enroll(admin, b);
        String agentA = (String) enrolledA.get("agent_id");
        String agentB = (String) enrolledB.get("agent_id");
        ApiClient asAgentA = admin.withToken((String) enrolledA.get("credential"));

        // telemetry: the agent's own; no API token, however many scopes, may report it
        ApiClient everything = admin.withToken(admin.createToken(unique("all-scopes"), Scopes.ORDERED, null));
        assertEquals("forbidden", everything.post("/api/v1/agents/update/telemetry", transition("idle"))
                .assertError(403, "telemetry from an API token"));
        ApiClient.Response reported = asAgentA.post("/api/v1/agents/update/telemetry", transition("checking"));
        assertEquals(reported.body(), 200, reported.status());
        Map<String, Object> forB = new java.util.LinkedHashMap<>(transition("failed"));
        forB.put("agent_id", agentB);
        ApiClient.Response spoofed = asAgentA.post("/api/v1/agents/update/telemetry", forB);
        assertEquals("invalid_field", spoofed.assertError(400, "telemetry naming another agent"));
        assertEquals("agent_id", ((Map<String, Object>) spoofed.json().get("error")).get("field"));
        assertEquals("B's agent has no telemetry", List.of(),
                admin.get("/api/v1/agents/" + agentB + "/telemetry").json().get("transitions"));
        assertEquals("forbidden", asAgentA.get("/api/v1/agents/" + agentA + "/telemetry")
                .assertError(403, "an agent reading telemetry"));

        // agents.read reads, agents.write commands, neither does the other's job
        ApiClient reader = admin.withToken(admin.createToken(unique("reader"), List.of(Scopes.AGENTS_READ), null));
        ApiClient writer = admin.withToken(admin.createToken(unique("writer"), List.of(Scopes.AGENTS_WRITE), null));
        ApiClient.Response read = reader.get("/api/v1/agents/" + agentA + "/telemetry");
        assertEquals(read.body(), 200, read.status());
        assertEquals(1, ((List<?>) read.json().get("transitions")).size());
        assertEquals("forbidden", writer.get("/api/v1/agents/" + agentA + "/telemetry").assertError(403, "telemetry without agents.read"));
        assertEquals("forbidden", reader.post("/api/v1/agents/" + agentA + "/commands", Map.of("command", "check_update"))
                .assertError(403, "a command without agents.write"));
        ApiClient.Response queued = writer.post("/api/v1/agents/" + agentA + "/commands", Map.of("command", "check_update"));
        assertEquals(queued.body(), 202, queued.status());
        assertEquals("pending", queued.json().get("state"));
        ApiClient.Response badCommand = writer.post("/api/v1/agents/" + agentA + "/commands", Map.of("command", "reboot"));
        assertEquals("invalid_field", badCommand.assertError(400, "an unknown command"));
        assertEquals("command", ((Map<String, Object>) badCommand.json().get("error")).get("field"));

        // a token restricted to A: B's agent looks absent, and nothing is queued for it
        ApiClient onlyA = admin.withToken(admin.createToken(unique("only-a"), Scopes.ORDERED, List.of(a)));
        assertEquals(200, onlyA.get("/api/v1/agents/" + agentA + "/telemetry").status());
        ApiClient.Response telemetryOfB = onlyA.get("/api/v1/agents/" + agentB + "/telemetry");
        assertEquals("not_found", telemetryOfB.assertError(404, "GET telemetry of B's agent"));
        assertEquals(onlyA.get("/api/v1/agents/agt_nonexistent/telemetry").json(), telemetryOfB.json());
        assertEquals("not_found", onlyA.post("/api/v1/agents/" + agentB + "/commands", Map.of("command", "force_update"))
                .assertError(404, "POST command for B's agent"));
        assertEquals(202, onlyA.post("/api/v1/agents/" + agentA + "/commands", Map.of("command", "force_update")).status());
        assertEquals("nothing was queued for B's agent", List.of(),
                admin.get("/api/v1/agents/" + agentB).json().get("pending_commands"));
        assertEquals(2, ((List<?>) admin.get("/api/v1/agents/" + agentA).json().get("pending_commands")).size());
    }

    @Test
    public void aSessionChangesNothingWithoutItsCsrfToken() throws Exception {
        ApiClient admin = admin();
        String id = unique("csrf");
        ApiClient.Response refused = admin.send("POST", "/api/v1/fleets", Map.of("id", id, "name", "No CSRF"), false);
        assertEquals("csrf_token_invalid", refused.assertError(403, "POST /api/v1/fleets without X-CSRF-Token"));
        assertEquals("the fleet was not created", 404, admin.get("/api/v1/fleets/" + id).status());

        String existing = createFleet(admin, unique("csrf-existing"));
        ApiClient.Response deleteRefused = admin.send("DELETE", "/api/v1/fleets/" + existing, null, false);
        assertEquals("csrf_token_invalid", deleteRefused.assertError(403, "DELETE without X-CSRF-Token"));
        assertEquals("the fleet was not deleted", 200, admin.get("/api/v1/fleets/" + existing).status());
    }
}
