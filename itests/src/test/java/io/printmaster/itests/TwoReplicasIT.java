package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two real server processes from the built distribution on one fresh PostgreSQL database, behind a real nginx on
 * loopback (round robin, no stickiness): the reference deployment of the admin guide's "Scaling out". Proves that
 * <ul>
 *   <li>both replicas start at the same moment on the empty database (admin, signing key, schema: nothing twice);</li>
 *   <li>a console session made through nginx works on both replicas, CSRF included (requests alternate);</li>
 *   <li>installers built by either replica are byte for byte the same (sha256);</li>
 *   <li>a rollout's {@code max_concurrent} holds with many agents checking in through both replicas at once, and
 *       the console's live event stream on one replica shows the rollout created on the other;</li>
 *   <li>one release sync runs at a time (the {@code releases.sync} lease), and when its replica is killed the other
 *       takes the sync over once the lease's ttl has passed, marking the dead replica's sync failed.</li>
 * </ul>
 * Needs PostgreSQL: {@code PM_TEST_DATABASE_URL} (a user that may CREATE DATABASE), else a throwaway cluster of
 * {@code itests/tools/postgres.sh}; skipped only when neither is there. Needs nginx (CI installs nginx-light).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Small so the take-over is seconds away (the default is 90 s). */
    private static final int LEASE_TTL_SECONDS = 4;
    private static final String PASSWORD = "replicas-admin-password";
    private static final String UPSTREAM_HEADER = "X-PrintMaster-Upstream";

    private static TwoReplicasFixture fixture;
    private static HttpClient http;
    private static String csrf;

    @BeforeAll
    static void start() throws Exception {
        fixture = new TwoReplicasFixture(LEASE_TTL_SECONDS, PASSWORD, UPSTREAM_HEADER);
        fixture.start();
        http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.stop();
        }
    }

    // ---- HTTP ---------------------------------------------------------------------------------------------------

    record Answer(int status, String body, String upstream, HttpResponse<byte[]> raw) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private static URI viaNginx(String path) {
        return fixture.viaNginx(path);
    }

    private static URI direct(int replica, String path) {
        return fixture.direct(replica, path);
    }

    private static Answer send(String method, URI uri, Object body, boolean withCsrf) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        if (withCsrf && csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8),
                r.headers().firstValue(UPSTREAM_HEADER).orElse(null), r);
    }

    private static Answer get(URI uri) throws Exception {
        return send("GET", uri, null, false);
    }

    private static Answer post(URI uri, Object body) throws Exception {
        return send("POST", uri, body, true);
    }

    private static void login() throws Exception {
        if (csrf != null) {
            return;
        }
        Answer r = send("POST", viaNginx("/api/v1/auth/login"), Map.of("username", "admin", "password", PASSWORD), false);
        assertEquals(200, r.status(), "login through nginx: " + r.body());
        csrf = r.json().path("csrf_token").asText(null);
        assertNotNull(csrf, r.body());
    }

    private static String upstreamOf(int replica) {
        return fixture.upstreamOf(replica);
    }

    // ---- the tests ----------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void bothReplicasStartedTogetherOnTheEmptyDatabaseWithOneAdminAndOneSigningKey() throws Exception {
        for (ServerProcess r : fixture.replicas()) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(r.uri("/api/v1/health"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("\"UP\""), "both replicas are UP: " + health.body());
        }
        assertEquals("1", fixture.psql("SELECT COUNT(*) FROM pm_user WHERE username = 'admin'").output().strip());
        login();
        // the first key: created by whichever replica signed first, never one per replica
        Eventually.within(WAIT, () -> assertEquals("1", fixture.psql(
                "SELECT COUNT(*) FROM pm_signing_key WHERE active_slot = 1").output().strip()));
    }

    @Test
    @Order(2)
    void aSessionMadeThroughNginxWorksOnBothReplicasWithItsCsrfToken() throws Exception {
        login();
        Set<String> answeredBy = new TreeSet<>();
        for (int i = 0; i < 8; i++) {
            Answer created = post(viaNginx("/api/v1/fleets"), Map.of("id", "rr-" + i, "name", "Round robin " + i));
            assertEquals(201, created.status(), "a CSRF-protected write through nginx: " + created.body());
            answeredBy.add(created.upstream());
            Answer read = get(viaNginx("/api/v1/fleets/rr-" + i));
            assertEquals(200, read.status(), "what one replica wrote the other reads: " + read.body());
            answeredBy.add(read.upstream());
        }
        assertEquals(new TreeSet<>(List.of(upstreamOf(0), upstreamOf(1))), answeredBy,
                "nginx sent the session's requests to both replicas");
        // and CSRF is checked on both: the same session without the token is refused by each replica
        for (int replica = 0; replica < 2; replica++) {
            Answer refused = send("POST", direct(replica, "/api/v1/fleets"), Map.of("id", "no-csrf-" + replica,
                    "name", "No CSRF"), false);
            assertEquals(403, refused.status(), "replica " + replica + " without the CSRF token: " + refused.body());
            Answer accepted = post(direct(replica, "/api/v1/fleets"), Map.of("id", "direct-" + replica, "name", "Direct"));
            assertEquals(201, accepted.status(), "replica " + replica + " with it: " + accepted.body());
        }
    }

    /** The version the built-in source published for linux-amd64 tar.gz, once signed. */
    private static String publishedAgentVersion() throws Exception {
        login();
        String[] version = new String[1];
        Eventually.within(WAIT, () -> {
            Answer r = get(viaNginx("/api/v1/releases/manifests?component=agent&platform=linux&arch=amd64&format=tar.gz"));
            assertEquals(200, r.status(), r.body());
            JsonNode found = r.json().findValue("version");
            assertNotNull(found, "no signed linux-amd64 agent manifest yet: " + r.body());
            version[0] = found.asText();
        });
        return version[0];
    }

    @Test
    @Order(3)
    void installersBuiltByEitherReplicaAreTheSameBytes() throws Exception {
        publishedAgentVersion();
        assertEquals(201, post(viaNginx("/api/v1/fleets"), Map.of("id", "lab", "name", "Lab")).status());
        for (String format : List.of("tar.gz", "zip")) {
            String platform = "zip".equals(format) ? "windows-amd64" : "linux-amd64";
            Map<String, String> sha = new TreeMap<>();
            for (int replica = 0; replica < 2; replica++) {
                // straight to each replica: each builds its own from its own cache folder
                Answer r = get(direct(replica, "/api/v1/installers/lab/" + platform + "?format=" + format));
                assertEquals(200, r.status(), format + " from replica " + replica + ": " + r.body());
                sha.put("replica-" + replica, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.raw().body())));
            }
            assertEquals(1, new TreeSet<>(sha.values()).size(), "the " + format + " installers agree: " + sha);
            System.out.println("TwoReplicasIT: " + format + " installer from both replicas: sha256 " + sha.values().iterator().next());
        }
    }

    @Test
    @Order(4)
    void maxConcurrentHoldsWithAgentsCheckingInThroughBothReplicasAtOnce() throws Exception {
        String version = publishedAgentVersion();
        int agents = 40;
        int maxConcurrent = 3;
        assertEquals(201, post(viaNginx("/api/v1/fleets"), Map.of("id", "wave", "name", "Wave")).status());
        Answer join = post(viaNginx("/api/v1/fleets/wave/join-tokens"), Map.of("max_uses", agents));
        assertEquals(201, join.status(), join.body());
        String joinToken = join.json().path("token").asText();

        HttpClient agentsHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String[]> enrolled = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            String host = "replica-agent-" + i;
            HttpResponse<String> r = agentsHttp.send(HttpRequest.newBuilder(viaNginx("/api/v1/agents/enroll"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("join_token", joinToken,
                            "hostname", host, "platform", "linux", "arch", "amd64", "current_version", "0.0.1"))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, r.statusCode(), "enroll " + host + ": " + r.body());
            enrolled.add(new String[] {JSON.readTree(r.body()).path("credential").asText(), host});
        }

        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", null);
        plan.put("waves", List.of(Map.of("percent", 100)));
        plan.put("delay_between_waves_seconds", 0);
        plan.put("max_concurrent", maxConcurrent);
        plan.put("jitter_seconds", 0);
        Map<String, Object> rollout = new LinkedHashMap<>();
        rollout.put("component", "agent");
        rollout.put("version", version);
        rollout.put("fleets", List.of("wave"));
        rollout.put("plan", plan);
        rollout.put("require_approval", false);
        // the console's live events: a stream on replica 1 sees what happens on replica 0
        String cookie = ((CookieManager) http.cookieHandler().orElseThrow()).getCookieStore().getCookies().stream()
                .filter(c -> c.getName().equals("PM_SESSION")).findFirst().orElseThrow().toString();
        String rolloutId;
        try (SseClient onReplica1 = SseClient.open(Integer.toString(fixture.port(1)), "/api/v1/events", "Cookie", cookie)) {
            assertEquals(200, onReplica1.status);
            Answer created = post(direct(0, "/api/v1/rollouts"), rollout);
            assertEquals(201, created.status(), created.body());
            rolloutId = created.json().findValue("id").asText();
            onReplica1.await(Duration.ofSeconds(30), "replica 0's rollout.progress on replica 1's event stream",
                    f -> "rollout.progress".equals(f.event()) && rolloutId.equals(f.data().get("rollout_id")));
        }

        // every agent checks in with a run, three rounds, alternately straight to each replica, 8 at a time
        Set<String> admitted = ConcurrentHashMap.newKeySet();
        Map<Integer, AtomicInteger> perReplica = Map.of(0, new AtomicInteger(), 1, new AtomicInteger());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < agents; i++) {
                    String[] agent = enrolled.get(i);
                    int replica = (i + round) % 2;
                    calls.add(pool.submit(() -> {
                        HttpResponse<String> r = agentsHttp.send(HttpRequest.newBuilder(
                                        direct(replica, "/api/v1/agents/update/manifest"))
                                .header("Authorization", "Bearer " + agent[0])
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of(
                                        "current_version", "0.0.1", "platform", "linux", "arch", "amd64",
                                        "hostname", agent[1], "run_id", "run-" + agent[1]))))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        assertEquals(200, r.statusCode(), r.body());
                        perReplica.get(replica).incrementAndGet();
                        if (JSON.readTree(r.body()).path("update_available").asBoolean()) {
                            admitted.add(agent[1]);
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : calls) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(perReplica.get(0).get() > 0 && perReplica.get(1).get() > 0, "both replicas answered check-ins");
        assertEquals(maxConcurrent, admitted.size(), "exactly max_concurrent agents were offered the update: " + admitted);
        JsonNode detail = get(viaNginx("/api/v1/rollouts/" + rolloutId)).json();
        assertEquals(maxConcurrent, detail.findValue("counts").path("in_progress").asInt(), detail.toString());
        assertEquals(Integer.toString(maxConcurrent), fixture.psql("SELECT COUNT(*) FROM pm_rollout_agent"
                + " WHERE rollout_id = '" + rolloutId + "' AND state = 'in_progress'").output().strip());
        assertEquals(Integer.toString(maxConcurrent), fixture.psql("SELECT in_progress FROM pm_rollout WHERE id = '"
                + rolloutId + "'").output().strip());
    }

    private static JsonNode syncStatus(int replica) throws Exception {
        Answer r = get(direct(replica, "/api/v1/releases/sync/status"));
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    @Test
    @Order(5)
    void oneReplicaSyncsAtATimeAndTheOtherTakesOverWhenItIsKilled() throws Exception {
        login();
        // no sync left from the start (the built-in source's and the feed's)
        Eventually.within(WAIT, () -> {
            assertTrue(syncStatus(0).path("running").isNull(), syncStatus(0).toString());
            assertTrue(syncStatus(1).path("running").isNull(), syncStatus(1).toString());
        });
        CountDownLatch gate = new CountDownLatch(1);
        fixture.feedGate().set(gate);
        int listingsBefore = fixture.feedListings();
        Answer started = post(viaNginx("/api/v1/releases/sync"), null);
        assertEquals(202, started.status(), started.body());
        assertFalse(started.json().path("already_running").asBoolean(), started.body());
        String syncId = started.json().path("sync_id").asText();
        Eventually.within(WAIT, () -> assertTrue(fixture.feedListings() > listingsBefore, "the sync is listing the feed"));

        JsonNode s0 = syncStatus(0);
        JsonNode s1 = syncStatus(1);
        String holder = s0.path("lease_holder").asText();
        assertEquals(holder, s1.path("lease_holder").asText(), "both replicas see one lease holder");
        int syncing = holder.equals(s0.path("replica_id").asText()) ? 0 : 1;
        assertEquals(holder, (syncing == 0 ? s0 : s1).path("replica_id").asText(), "the holder is one of the two");
        int other = 1 - syncing;
        assertEquals(syncId, s0.path("running").path("id").asText(), "replica 0 shows the running sync: " + s0);
        assertEquals(syncId, s1.path("running").path("id").asText(), "replica 1 shows the running sync: " + s1);

        Answer again = post(direct(other, "/api/v1/releases/sync"), null);
        assertEquals(202, again.status(), again.body());
        assertTrue(again.json().path("already_running").asBoolean(), "the other replica runs no second sync: " + again.body());
        assertEquals(syncId, again.json().path("sync_id").asText());
        assertEquals("1", fixture.psql("SELECT COUNT(*) FROM pm_release_sync WHERE state = 'running'").output().strip(),
                "one sync runs across the replicas");

        // the holder dies mid-sync: after the lease's ttl the other replica syncs, and marks the orphan failed
        fixture.replica(syncing).kill();
        long killed = System.nanoTime();
        String[] takeover = new String[1];
        Eventually.within(WAIT, () -> {
            Answer r = post(direct(other, "/api/v1/releases/sync"), null);
            assertEquals(202, r.status(), r.body());
            assertFalse(r.json().path("already_running").asBoolean(), "still the dead replica's: " + r.body());
            takeover[0] = r.json().path("sync_id").asText();
        });
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.println("TwoReplicasIT: the sync was taken over " + waitedMs + " ms after its replica was killed"
                + " (lease ttl " + LEASE_TTL_SECONDS + " s)");
        assertNotEquals(syncId, takeover[0]);
        assertTrue(waitedMs <= (LEASE_TTL_SECONDS + 10) * 1000L, "taken over " + waitedMs + " ms after the kill");
        assertEquals("failed", fixture.psql("SELECT state FROM pm_release_sync WHERE id = '" + syncId + "'")
                .output().strip(), "the dead replica's sync is marked failed by the replica that took over");
        JsonNode survivor = syncStatus(other);
        assertEquals(survivor.path("replica_id").asText(), survivor.path("lease_holder").asText());

        gate.countDown();
        fixture.feedGate().set(null);
        Eventually.within(WAIT, () -> assertEquals("0", fixture.psql(
                "SELECT COUNT(*) FROM pm_release_sync WHERE state = 'running'").output().strip()));
        // the session still works through nginx with one replica gone (nginx skips the dead upstream)
        for (int i = 0; i < 4; i++) {
            Answer r = post(viaNginx("/api/v1/fleets"), Map.of("id", "after-kill-" + i, "name", "After"));
            assertEquals(201, r.status(), r.body());
            assertEquals(upstreamOf(other), r.upstream().substring(r.upstream().lastIndexOf(' ') + 1));
        }
    }
}
