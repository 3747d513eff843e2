package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.CookieManager;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.concurrent.atomic.AtomicReference;
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

    private static Path work;
    private static Path postgresState;
    private static String adminDatabaseUrl;
    private static String databaseUrl;
    private static HttpServer feed;
    /** While set, the release feed holds every listing until it is counted down (a long sync). */
    private static final AtomicReference<CountDownLatch> FEED_GATE = new AtomicReference<>();
    private static final AtomicInteger FEED_LISTINGS = new AtomicInteger();
    private static final ServerProcess[] REPLICAS = new ServerProcess[2];
    private static final Path[] DATA = new Path[2];
    private static final int[] PORTS = new int[2];
    private static Process nginx;
    private static int nginxPort;
    private static HttpClient http;
    private static String csrf;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("pm-replicas");
        adminDatabaseUrl = postgres();
        databaseUrl = freshDatabase(adminDatabaseUrl);
        feed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        feed.setExecutor(Executors.newCachedThreadPool());
        feed.createContext("/", exchange -> {
            FEED_LISTINGS.incrementAndGet();
            CountDownLatch gate = FEED_GATE.get();
            if (gate != null) {
                try {
                    gate.await(180, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(404, -1); // no feed: the source fails, the built-in source syncs
            exchange.close();
        });
        feed.start();

        Path masterKey = work.resolve("shared-master.key");
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.writeString(masterKey, java.util.Base64.getEncoder().encodeToString(key) + "\n");
        Files.setPosixFilePermissions(masterKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        for (int i = 0; i < 2; i++) {
            DATA[i] = work.resolve("replica-" + i);
            Path etc = DATA[i].resolve("etc");
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("io.printmaster.server.releases.intake.cfg"),
                    "lease_ttl_seconds=" + LEASE_TTL_SECONDS + "\n");
            Files.writeString(etc.resolve("io.printmaster.releasesource.httpfeed-slow.cfg"),
                    "name=slow\nurl=http://127.0.0.1:" + feed.getAddress().getPort() + "/feed.json\n");
            PORTS[i] = ServerProcess.freePort();
        }
        nginxPort = ServerProcess.freePort();
        // every installer and agent reaches the replicas through nginx: the same fleet files on both
        for (int i = 0; i < 2; i++) {
            Files.writeString(DATA[i].resolve("etc").resolve("io.printmaster.server.installers.cfg"),
                    "server_url=http://127.0.0.1:" + nginxPort + "\n");
        }

        // both at once on the empty database: the first-start races (schema, admin, keys) are part of the test
        ExecutorService starting = Executors.newFixedThreadPool(2);
        try {
            List<Future<ServerProcess>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int replica = i;
                // the release cache shared (the syncing replica fills it); installers cached per replica
                futures.add(starting.submit(() -> ServerProcess.start("replica-" + replica, DATA[replica],
                        List.of("-Dpm.cache.dir=" + work.resolve("shared-cache")),
                        List.of("--port", Integer.toString(PORTS[replica])),
                        Map.of("PM_DATABASE_URL", databaseUrl, "PM_ADMIN_PASSWORD", PASSWORD,
                                "PM_MASTER_KEY_FILE", masterKey.toString()))));
            }
            for (int i = 0; i < 2; i++) {
                REPLICAS[i] = futures.get(i).get(3, TimeUnit.MINUTES);
            }
        } finally {
            starting.shutdown();
        }
        nginx = startNginx();
        http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        CountDownLatch gate = FEED_GATE.getAndSet(null);
        if (gate != null) {
            gate.countDown();
        }
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        for (ServerProcess r : REPLICAS) {
            if (r != null) {
                r.close();
            }
        }
        if (feed != null) {
            feed.stop(0);
        }
        if (postgresState != null) {
            run(Duration.ofSeconds(60), script().toString(), "stop", postgresState.toString());
        }
    }

    // ---- the setting --------------------------------------------------------------------------------------------

    private static Path script() {
        return Path.of(System.getProperty("pm.workspace", "..")).resolve("itests/tools/postgres.sh");
    }

    /** The admin URL of a PostgreSQL server: the one given, or a throwaway cluster; skips when there is none. */
    private static String postgres() throws Exception {
        String given = System.getenv("PM_TEST_DATABASE_URL");
        if (given != null && !given.isBlank()) {
            return given.strip();
        }
        Path script = script();
        boolean available = Files.isExecutable(script)
                && run(Duration.ofSeconds(30), script.toString(), "available").code() == 0;
        String missing = "PostgreSQL is not installed here and PM_TEST_DATABASE_URL is not set: the two-replica "
                + "test needs a PostgreSQL server (CI installs one)";
        if ("1".equals(System.getenv("PM_REQUIRE_POSTGRES"))) {
            assertTrue(available, missing + "; PM_REQUIRE_POSTGRES=1 makes that a failure");
        }
        assumeTrue(available, missing);
        postgresState = work.resolve("postgres.state");
        Result started = run(Duration.ofSeconds(120), script.toString(), "start", postgresState.toString());
        assertEquals(0, started.code(), "itests/tools/postgres.sh start: " + started.output());
        String[] lines = started.output().strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** A new database for this test on that server; its URL. */
    private static String freshDatabase(String admin) throws Exception {
        String name = "pm_replicas_" + Long.toHexString(System.nanoTime());
        Result created = psql(admin, "CREATE DATABASE " + name);
        assertEquals(0, created.code(), "CREATE DATABASE: " + created.output());
        URI u = URI.create(admin);
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        String withoutQuery = admin.substring(0, admin.length() - query.length());
        return withoutQuery.substring(0, withoutQuery.length() - u.getRawPath().length()) + "/" + name + query;
    }

    private static Result psql(String url, String sql) throws Exception {
        return run(Duration.ofSeconds(60), "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql);
    }

    private static Process startNginx() throws Exception {
        Path dir = work.resolve("nginx");
        Files.createDirectories(dir.resolve("tmp"));
        boolean root = "root".equals(System.getProperty("user.name"));
        // what the admin guide shows, with the test's paths and ports; the upstream header names the replica that
        // answered, so the test sees round robin at work
        String conf = (root ? "user root;\n" : "") + """
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 512; }
                http {
                  access_log %1$s/access.log;
                  client_body_temp_path %1$s/tmp/body;
                  proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi;
                  uwsgi_temp_path %1$s/tmp/uwsgi;
                  scgi_temp_path %1$s/tmp/scgi;
                  upstream printmaster {
                    server 127.0.0.1:%2$d max_fails=1 fail_timeout=2s;
                    server 127.0.0.1:%3$d max_fails=1 fail_timeout=2s;
                    keepalive 16;
                  }
                  server {
                    listen 127.0.0.1:%4$d;
                    client_max_body_size 0;
                    location / {
                      proxy_pass http://printmaster;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_set_header Host $http_host;
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      proxy_set_header X-Forwarded-Proto $scheme;
                      proxy_read_timeout 75s;
                      proxy_buffering off;
                      add_header %5$s $upstream_addr always;
                    }
                  }
                }
                """.formatted(dir, PORTS[0], PORTS[1], nginxPort, UPSTREAM_HEADER);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        String binary = onPath("nginx") ? "nginx" : "/usr/sbin/nginx";
        assertTrue(onPath("nginx") || Files.isExecutable(Path.of(binary)),
                "nginx is not installed: the two-replica test runs behind a real nginx (apt-get install nginx-light)");
        Process p = new ProcessBuilder(binary, "-p", dir.toString(), "-c", file.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        HttpClient probe = HttpClient.newHttpClient();
        Eventually.within(Duration.ofSeconds(30), () -> {
            assertTrue(p.isAlive(), "nginx exited: " + Files.readString(dir.resolve("nginx.out")));
            HttpResponse<String> r = probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginxPort
                    + "/api/v1/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        });
        return p;
    }

    // ---- HTTP ---------------------------------------------------------------------------------------------------

    record Answer(int status, String body, String upstream, HttpResponse<byte[]> raw) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private static URI viaNginx(String path) {
        return URI.create("http://127.0.0.1:" + nginxPort + path);
    }

    private static URI direct(int replica, String path) {
        return URI.create("http://127.0.0.1:" + PORTS[replica] + path);
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
        return "127.0.0.1:" + PORTS[replica];
    }

    // ---- the tests ----------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void bothReplicasStartedTogetherOnTheEmptyDatabaseWithOneAdminAndOneSigningKey() throws Exception {
        for (ServerProcess r : REPLICAS) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(r.uri("/api/v1/health"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("\"UP\""), "both replicas are UP: " + health.body());
        }
        assertEquals("1", psql(databaseUrl, "SELECT COUNT(*) FROM pm_user WHERE username = 'admin'").output().strip());
        login();
        // the first key: created by whichever replica signed first, never one per replica
        Eventually.within(WAIT, () -> assertEquals("1", psql(databaseUrl,
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
        try (SseClient onReplica1 = SseClient.open(Integer.toString(PORTS[1]), "/api/v1/events", "Cookie", cookie)) {
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
        assertEquals(Integer.toString(maxConcurrent), psql(databaseUrl, "SELECT COUNT(*) FROM pm_rollout_agent"
                + " WHERE rollout_id = '" + rolloutId + "' AND state = 'in_progress'").output().strip());
        assertEquals(Integer.toString(maxConcurrent), psql(databaseUrl, "SELECT in_progress FROM pm_rollout WHERE id = '"
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
        FEED_GATE.set(gate);
        int listingsBefore = FEED_LISTINGS.get();
        Answer started = post(viaNginx("/api/v1/releases/sync"), null);
        assertEquals(202, started.status(), started.body());
        assertFalse(started.json().path("already_running").asBoolean(), started.body());
        String syncId = started.json().path("sync_id").asText();
        Eventually.within(WAIT, () -> assertTrue(FEED_LISTINGS.get() > listingsBefore, "the sync is listing the feed"));

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
        assertEquals("1", psql(databaseUrl, "SELECT COUNT(*) FROM pm_release_sync WHERE state = 'running'").output().strip(),
                "one sync runs across the replicas");

        // the holder dies mid-sync: after the lease's ttl the other replica syncs, and marks the orphan failed
        REPLICAS[syncing].kill();
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
        assertEquals("failed", psql(databaseUrl, "SELECT state FROM pm_release_sync WHERE id = '" + syncId + "'")
                .output().strip(), "the dead replica's sync is marked failed by the replica that took over");
        JsonNode survivor = syncStatus(other);
        assertEquals(survivor.path("replica_id").asText(), survivor.path("lease_holder").asText());

        gate.countDown();
        FEED_GATE.set(null);
        Eventually.within(WAIT, () -> assertEquals("0", psql(databaseUrl,
                "SELECT COUNT(*) FROM pm_release_sync WHERE state = 'running'").output().strip()));
        // the session still works through nginx with one replica gone (nginx skips the dead upstream)
        for (int i = 0; i < 4; i++) {
            Answer r = post(viaNginx("/api/v1/fleets"), Map.of("id", "after-kill-" + i, "name", "After"));
            assertEquals(201, r.status(), r.body());
            assertEquals(upstreamOf(other), r.upstream().substring(r.upstream().lastIndexOf(' ') + 1));
        }
    }

    // ---- processes ----------------------------------------------------------------------------------------------

    record Result(int code, String output) {
    }

    private static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
