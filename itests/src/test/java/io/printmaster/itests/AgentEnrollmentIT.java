package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.http.api.Scopes;
import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Join tokens and enrollment through the real HTTP API of the server's bundles in a real Felix: an admin mints a
 * token, an agent enrolls with it, checks in with its credential and appears in {@code GET /api/v1/agents}; revoked,
 * expired and used-up tokens enroll nobody; revoked agents are refused.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentEnrollmentIT {
    private static final String ENROLL_PID = "io.printmaster.server.agents.impl.EnrollResource";
    private static final AtomicInteger NAMES = new AtomicInteger();

    @Inject
    BundleContext context;

    @Inject
    Database database;

    @Inject
    ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("agents"), ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()));
    }

    private ApiClient anonymous() throws Exception {
        ApiClient c = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        c.awaitHealthy();
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals("the enrollment route is served", 400,
                c.post("/api/v1/agents/enroll", "{}").status()));
        return c;
    }

    private ApiClient admin() throws Exception {
        return anonymous().login(context.getProperty("pm.admin.password"));
    }

    private static String unique(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100_000, 36);
    }

    private static String createFleet(ApiClient admin, String id) throws Exception {
        ApiClient.Response r = admin.post("/api/v1/fleets", Map.of("id", id, "name", "Fleet " + id));
        assertEquals("create fleet: " + r.body(), 201, r.status());
        return id;
    }

    /** Mints a join token; returns its answer ({@code id, token, expires_at, max_uses}). */
    private static Map<String, Object> joinToken(ApiClient admin, String fleet, Object body) throws Exception {
        ApiClient.Response r = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", body);
        assertEquals("mint join token: " + r.body(), 201, r.status());
        return r.json();
    }

    private static Map<String, Object> enrollBody(String token, String host) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", token);
        body.put("hostname", host);
        body.put("platform", "linux");
        body.put("arch", "arm64");
        body.put("current_version", "0.1.0-SNAPSHOT");
        return body;
    }

    private static ApiClient.Response enroll(ApiClient anyone, String token, String host) throws Exception {
        return anyone.post("/api/v1/agents/enroll", enrollBody(token, host));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> agentsOf(ApiClient admin, String fleet) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/agents?fleet=" + fleet);
        assertEquals(r.body(), 200, r.status());
        return (List<Map<String, Object>>) r.json().get("agents");
    }

    private static void assertInvalidJoinToken(ApiClient.Response r, String context) {
        assertEquals(context, "invalid_join_token", r.assertError(401, context));
        assertEquals(context + ": " + r.body(), "join_token", ((Map<?, ?>) r.json().get("error")).get("field"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void anAgentEnrollsChecksInAndIsListedWithWhatItReported() throws Exception {
        ApiClient admin = admin();
        ApiClient nobody = anonymous();
        String fleet = createFleet(admin, unique("enroll"));
        Map<String, Object> minted = joinToken(admin, fleet, Map.of());
        String token = (String) minted.get("token");
        assertTrue(minted.toString(), token.startsWith("pmj_"));
        assertNull("unlimited by default", minted.get("max_uses"));
        Duration ttl = Duration.between(Instant.now(), Instant.parse((String) minted.get("expires_at")));
        assertTrue("default ttl is 168 h: " + ttl, ttl.toHours() >= 167 && ttl.toHours() <= 168);

        ApiClient.Response enrolled = enroll(nobody, token, "printer-host-1");
        assertEquals(enrolled.body(), 201, enrolled.status());
        String agentId = (String) enrolled.json().get("agent_id");
        String credential = (String) enrolled.json().get("credential");
        assertTrue(enrolled.body(), agentId.startsWith("agt_") && credential.startsWith("pma_"));
        assertEquals(fleet, enrolled.json().get("fleet_id"));

        Map<String, Object> before = agentsOf(admin, fleet).get(0);
        assertEquals(agentId, before.get("id"));
        assertNull("not seen before its first check-in", before.get("last_seen_at"));

        ApiClient agent = nobody.withToken(credential);
        Map<String, Object> checkIn = new LinkedHashMap<>();
        checkIn.put("current_version", "0.1.1");
        checkIn.put("platform", "linux");
        checkIn.put("arch", "arm64");
        checkIn.put("hostname", "printer-host-1");
        ApiClient.Response answer = agent.post("/api/v1/agents/update/manifest", checkIn);
        assertEquals(answer.body(), 200, answer.status());
        assertEquals(agentId, answer.json().get("agent_id"));
        assertEquals(fleet, answer.json().get("fleet_id"));
        assertEquals(Boolean.FALSE, answer.json().get("update_available"));
        assertTrue(answer.body(), answer.json().get("policy") instanceof Map);
        assertTrue(answer.body(), List.of("fleet", "global", "default").contains(answer.json().get("policy_source")));

        // the fleet's own policy reaches the agent
        ApiClient.Response policy = admin.get("/api/v1/update-policies/" + fleet);
        assertEquals(policy.body(), 200, policy.status());
        ApiClient.Response saved = admin.send("PUT", "/api/v1/update-policies/" + fleet,
                Map.of("policy", policy.json().get("policy")));
        assertEquals(saved.body(), 200, saved.status());
        assertEquals("fleet", agent.post("/api/v1/agents/update/manifest", checkIn).json().get("policy_source"));

        List<Map<String, Object>> listed = agentsOf(admin, fleet);
        assertEquals(listed.toString(), 1, listed.size());
        Map<String, Object> a = listed.get(0);
        assertEquals(agentId, a.get("id"));
        assertEquals(fleet, a.get("fleet"));
        assertEquals("linux", a.get("platform"));
        assertEquals("arm64", a.get("arch"));
        assertEquals("0.1.1", a.get("current_version"));
        assertEquals("printer-host-1", a.get("hostname"));
        assertNotNull(a.get("enrolled_at"));
        Instant lastSeen = Instant.parse((String) a.get("last_seen_at"));
        assertTrue("last_seen_at is recent: " + lastSeen, Duration.between(lastSeen, Instant.now()).abs().toMinutes() < 5);
        // the agent itself: as listed, plus its pending commands
        Map<String, Object> detail = new LinkedHashMap<>(admin.get("/api/v1/agents/" + agentId).json());
        assertEquals(List.of(), detail.remove("pending_commands"));
        assertEquals(a, detail);

        // listed without the secret, with its use counted
        ApiClient.Response tokens = admin.get("/api/v1/fleets/" + fleet + "/join-tokens");
        assertEquals(tokens.body(), 200, tokens.status());
        assertFalse("the token's text is never listed", tokens.body().contains(token.substring(4)));
        Map<String, Object> listedToken = ((List<Map<String, Object>>) tokens.json().get("join_tokens")).get(0);
        assertEquals(minted.get("id"), listedToken.get("id"));
        assertEquals(1, listedToken.get("uses"));
        assertEquals(Boolean.FALSE, listedToken.get("installer"));
        assertFalse("the audit log never holds the token or the credential",
                admin.get("/api/v1/audit?limit=200").body().matches("(?s).*(" + token.substring(4) + "|" + credential.substring(4) + ").*"));

        // an API token, however broad, is not an agent
        ApiClient everything = admin.withToken(admin.createToken(unique("all"), Scopes.ORDERED, null));
        assertEquals("forbidden", everything.post("/api/v1/agents/update/manifest", checkIn).assertError(403, "API token checks in"));
        // and an agent is nothing more than an agent
        assertEquals("forbidden", agent.get("/api/v1/agents").assertError(403, "agent lists agents"));

        // the download route answers the agent, naming what exists
        ApiClient.Response missing = agent.get("/api/v1/agents/update/download/agent/9.9.9/linux-arm64");
        assertEquals("not_found", missing.assertError(404, "download of an absent artifact"));

        // a revoked agent is refused at once
        assertEquals(204, admin.send("DELETE", "/api/v1/agents/" + agentId, null).status());
        assertEquals("unauthorized", agent.post("/api/v1/agents/update/manifest", checkIn).assertError(401, "revoked agent checks in"));
        assertNotNull(admin.get("/api/v1/agents/" + agentId).json().get("revoked_at"));
    }

    @Test
    public void revokedExpiredAndUsedUpTokensEnrollNobody() throws Exception {
        ApiClient admin = admin();
        ApiClient nobody = anonymous();
        String fleet = createFleet(admin, unique("refused"));

        // revoked
        Map<String, Object> revoked = joinToken(admin, fleet, Map.of("ttl_hours", 24));
        assertEquals(204, admin.send("DELETE", "/api/v1/fleets/" + fleet + "/join-tokens/" + revoked.get("id"), null).status());
        assertInvalidJoinToken(enroll(nobody, (String) revoked.get("token"), "h-revoked"), "revoked token");

        // expired: an hour is the shortest lifetime; move its end into the past instead of waiting
        Map<String, Object> expiring = joinToken(admin, fleet, Map.of("ttl_hours", 1));
        int moved = database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_JOIN_TOKEN SET EXPIRES_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now().minusSeconds(1)));
                ps.setString(2, (String) expiring.get("id"));
                return ps.executeUpdate();
            }
        });
        assertEquals(1, moved);
        assertInvalidJoinToken(enroll(nobody, (String) expiring.get("token"), "h-expired"), "expired token");

        // used up
        Map<String, Object> once = joinToken(admin, fleet, Map.of("ttl_hours", 24, "max_uses", 1));
        assertEquals(1, once.get("max_uses"));
        ApiClient.Response first = enroll(nobody, (String) once.get("token"), "h-first");
        assertEquals(first.body(), 201, first.status());
        assertInvalidJoinToken(enroll(nobody, (String) once.get("token"), "h-second"), "used-up token");

        // unknown
        assertInvalidJoinToken(enroll(nobody, "pmj_" + UUID.randomUUID(), "h-unknown"), "unknown token");

        List<Map<String, Object>> agents = agentsOf(admin, fleet);
        assertEquals("only the first enrollment made an agent: " + agents, 1, agents.size());
        assertEquals("h-first", agents.get(0).get("hostname"));
    }

    @Test
    public void badInputIsRefusedNamingTheField() throws Exception {
        ApiClient admin = admin();
        ApiClient nobody = anonymous();
        String fleet = createFleet(admin, unique("bad"));
        assertField(admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("ttl_hours", 0)), "ttl_hours");
        assertField(admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("ttl_hours", 8761)), "ttl_hours");
        assertField(admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("max_uses", 0)), "max_uses");
        assertEquals("not_found", admin.post("/api/v1/fleets/" + unique("absent") + "/join-tokens", Map.of())
                .assertError(404, "join token for an absent fleet"));
        assertEquals("not_found", admin.send("DELETE", "/api/v1/fleets/" + fleet + "/join-tokens/jt_nope", null)
                .assertError(404, "revoking an absent token"));

        String token = (String) joinToken(admin, fleet, Map.of()).get("token");
        for (String field : List.of("join_token", "hostname", "platform", "arch", "current_version")) {
            Map<String, Object> missing = enrollBody(token, "h");
            missing.remove(field);
            assertField(nobody.post("/api/v1/agents/enroll", missing), field);
        }
        Map<String, Object> wrongPlatform = enrollBody(token, "h");
        wrongPlatform.put("platform", "beos");
        assertField(nobody.post("/api/v1/agents/enroll", wrongPlatform), "platform");
        Map<String, Object> unknownField = enrollBody(token, "h");
        unknownField.put("fleet_id", fleet);
        assertField(nobody.post("/api/v1/agents/enroll", unknownField), "fleet_id");
        assertEquals("nothing enrolled", List.of(), agentsOf(admin, fleet));
    }

    private static void assertField(ApiClient.Response r, String field) {
        r.assertError(400, "expected a 400 naming " + field);
        assertEquals(r.body(), field, ((Map<?, ?>) r.json().get("error")).get("field"));
    }

    @Test
    public void failedEnrollmentsFromOneAddressAreRateLimited() throws Exception {
        ApiClient admin = admin();
        ApiClient nobody = anonymous();
        String fleet = createFleet(admin, unique("limited"));
        String token = (String) joinToken(admin, fleet, Map.of()).get("token");
        org.osgi.service.cm.Configuration configuration = configurationAdmin.getConfiguration(ENROLL_PID, "?");
        try {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("max_failures", 3);
            props.put("failure_window_minutes", 15);
            configuration.update(props);
            // the component restarts with the new limit and a fresh count; wait until it counts to 3
            Eventually.within(Duration.ofSeconds(20), () -> {
                ApiClient.Response r = enroll(nobody, "pmj_" + UUID.randomUUID(), "guesser");
                assertEquals(r.body(), 429, r.status());
                assertEquals("too_many_attempts", r.assertError(429, "guessing"));
                long retryAfter = Long.parseLong(r.header("Retry-After"));
                assertTrue("Retry-After: " + retryAfter, retryAfter > 0 && retryAfter <= 15 * 60);
            });
            assertEquals("even a good token waits", 429, enroll(nobody, token, "legit").status());
        } finally {
            configuration.delete();
        }
        Eventually.within(Duration.ofSeconds(20), () -> {
            ApiClient.Response r = enroll(nobody, token, "legit");
            assertEquals(r.body(), 201, r.status());
        });
    }
}
