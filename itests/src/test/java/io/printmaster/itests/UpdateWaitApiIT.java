package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * {@code GET /api/v1/agents/update/wait} over real HTTP in the real server bundles, with {@code max_wait_seconds=3}
 * so a quiet wait ends in seconds: the handshake, 204 at the limit with the cursor to send next, a command answered
 * at once, 401 without a credential, 400 naming {@code cursor} for a forged one; and 2,000 agents waiting at once
 * hold no threads (the server's thread count, in this JVM, is sampled while they wait) and are all woken by one
 * server-wide policy change.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpdateWaitApiIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOAD_AGENTS = 2_000;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("update-wait");
        Files.writeString(data.resolve("etc/io.printmaster.server.agents.push.cfg"), "max_wait_seconds=3\n");
        // 2,000 waits from one loopback address: lift the per-address connection cap for this test
        Files.writeString(data.resolve("etc/io.printmaster.http.connections.cfg"), "max_connections_per_address=0\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    private String port() {
        return context.getProperty("org.osgi.service.http.port");
    }

    private ApiClient admin() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(port());
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        Eventually.within(WAIT, () -> assertEquals(401, anonymous.get("/api/v1/agents/update/wait").status()));
        Eventually.within(WAIT, () -> assertTrue("the configured max wait is applied", context.getServiceReferences(
                (String) null, "(max_wait_seconds=3)") != null));
        return admin;
    }

    /** Creates a fleet and a join token for {@code uses} agents; the token. */
    private static String fleetWithToken(ApiClient admin, String fleet, int uses) throws Exception {
        ApiClient.Response created = admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleet));
        assertEquals(created.body(), 201, created.status());
        ApiClient.Response token = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("max_uses", uses));
        assertEquals(token.body(), 201, token.status());
        return (String) token.json().get("token");
    }

    /** Enrolls one agent; its id and credential. */
    private static String[] enroll(HttpClient http, String port, String joinToken, String host) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", joinToken);
        body.put("hostname", host);
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("current_version", "1.0.0");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/agents/enroll"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(r.body(), 201, r.statusCode());
        JsonNode j = JSON.readTree(r.body());
        return new String[] {j.get("agent_id").asText(), j.get("credential").asText()};
    }

    private HttpRequest waitRequest(String credential, String cursor) {
        String query = cursor == null ? "" : "?cursor=" + cursor;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/api/v1/agents/update/wait" + query))
                .timeout(Duration.ofSeconds(120)).GET();
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b.build();
    }

    @Test
    public void theWaitRouteAnswersAsDocumented() throws Exception {
        ApiClient admin = admin();
        HttpClient http = HttpClient.newHttpClient();
        String token = fleetWithToken(admin, "wait-api", 5);
        String[] agent = enroll(http, port(), token, "wait-api-host");

        HttpResponse<String> anonymous = http.send(waitRequest(null, null), HttpResponse.BodyHandlers.ofString());
        assertEquals(anonymous.body(), 401, anonymous.statusCode());

        // the handshake: answered at once, no events, a cursor
        HttpResponse<String> handshake = http.send(waitRequest(agent[1], null), HttpResponse.BodyHandlers.ofString());
        assertEquals(handshake.body(), 200, handshake.statusCode());
        JsonNode hello = JSON.readTree(handshake.body());
        assertEquals(0, hello.get("events").size());
        String cursor = hello.get("cursor").asText();
        assertTrue(cursor, cursor.matches("[A-Za-z0-9_-]+"));

        // nothing happens: 204 at the configured limit, with the cursor to send next
        long start = System.nanoTime();
        HttpResponse<String> quiet = http.send(waitRequest(agent[1], cursor), HttpResponse.BodyHandlers.ofString());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(quiet.body(), 204, quiet.statusCode());
        assertTrue("answered at the 3 s limit: " + millis + " ms", millis >= 2_900 && millis < 15_000);
        String next = quiet.headers().firstValue("PM-Wait-Cursor").orElse(null);
        assertNotNull("204 carries the cursor", next);

        // a command for the agent answers its wait at once
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(waitRequest(agent[1], next),
                HttpResponse.BodyHandlers.ofString());
        ApiClient.Response command = admin.post("/api/v1/agents/" + agent[0] + "/commands", Map.of("command", "check_update"));
        assertEquals(command.body(), 202, command.status());
        HttpResponse<String> pushed = waiting.get(10, TimeUnit.SECONDS);
        assertEquals(pushed.body(), 200, pushed.statusCode());
        JsonNode event = JSON.readTree(pushed.body()).get("events").get(0);
        assertEquals("command", event.get("type").asText());
        assertEquals(command.json().get("id"), event.get("command_id").asText());
        assertEquals("check_update", event.get("command").asText());

        // a forged cursor: 400 naming the field
        HttpResponse<String> bad = http.send(waitRequest(agent[1], "not-a-cursor"), HttpResponse.BodyHandlers.ofString());
        assertEquals(bad.body(), 400, bad.statusCode());
        assertEquals("cursor", JSON.readTree(bad.body()).path("error").path("field").asText());
    }

    @Test
    public void twoThousandWaitingAgentsHoldNoThreads() throws Exception {
        ApiClient admin = admin();
        String token = fleetWithToken(admin, "wait-load", LOAD_AGENTS);
        HttpClient enrolling = HttpClient.newHttpClient();
        List<String> credentials = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int i = 0; i < LOAD_AGENTS; i++) {
                int n = i;
                done.add(pool.submit(() -> {
                    credentials.add(enroll(enrolling, port(), token, "load-" + n)[1]);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        // the waits: one HTTP/1.1 connection each, a client on two threads
        ExecutorService clientThreads = Executors.newFixedThreadPool(2);
        HttpClient http = HttpClient.newBuilder().executor(clientThreads).version(HttpClient.Version.HTTP_1_1).build();
        List<String> cursors = new ArrayList<>();
        for (String c : credentials) {
            HttpResponse<String> h = http.send(waitRequest(c, null), HttpResponse.BodyHandlers.ofString());
            assertEquals(h.body(), 200, h.statusCode());
            cursors.add(JSON.readTree(h.body()).get("cursor").asText());
        }
        // 3 s is too short to hold 2,000 waits while measuring: 55 s for this part
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(context.getServiceReference(
                org.osgi.service.cm.ConfigurationAdmin.class));
        java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
        props.put("max_wait_seconds", 55);
        cm.getConfiguration("io.printmaster.server.agents.push", null).update(props);
        Eventually.within(WAIT, () -> assertTrue(context.getServiceReferences((String) null, "(max_wait_seconds=55)") != null));
        Eventually.within(WAIT, () -> assertEquals(400, http.send(waitRequest(credentials.get(0), "bad"),
                HttpResponse.BodyHandlers.ofString()).statusCode()));

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int before = threads.getThreadCount();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger policyEvents = new AtomicInteger();
        List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < credentials.size(); i++) {
            waits.add(http.sendAsync(waitRequest(credentials.get(i), cursors.get(i)), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> {
                        answered.incrementAndGet();
                        if (e == null && r.statusCode() == 200 && r.body().contains("\"policy\"")) {
                            policyEvents.incrementAndGet();
                        }
                    }));
        }
        // sample while they wait: every wait is sent and none is answered (max 55 s)
        int peak = before;
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < settle) {
            peak = Math.max(peak, threads.getThreadCount());
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        int held = threads.getThreadCount();
        assertEquals("no wait is answered before anything happens", 0, answered.get());
        System.out.println("[push-load] " + LOAD_AGENTS + " waits: threads before " + before + ", peak " + peak
                + ", after 10 s " + held + " (JVM-wide: server and this test's client)");

        // one server-wide policy change wakes every one of them
        Map<String, Object> policy = (Map<String, Object>) (Map<?, ?>) admin.get("/api/v1/update-policies/global").json().get("policy");
        Map<String, Object> next = new LinkedHashMap<>(policy);
        next.put("update_check_days", ((Number) policy.get("update_check_days")).intValue() == 1 ? 2 : 1);
        long wake = System.nanoTime();
        ApiClient.Response saved = admin.send("PUT", "/api/v1/update-policies/global", Map.of("policy", next));
        assertEquals(saved.body(), 200, saved.status());
        Eventually.within(WAIT, () -> assertEquals(LOAD_AGENTS, answered.get()));
        long wokenMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - wake);
        System.out.println("[push-load] one policy change answered all " + LOAD_AGENTS + " waits in " + wokenMillis
                + " ms; policy events: " + policyEvents.get() + "; waits sent " + TimeUnit.NANOSECONDS.toSeconds(wake - started)
                + " s before");
        assertEquals(LOAD_AGENTS, policyEvents.get());
        assertTrue("threads grew by " + (peak - before) + " for " + LOAD_AGENTS + " waits", peak - before < 100);
        clientThreads.shutdownNow();
    }
}
