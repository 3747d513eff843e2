package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
 * {@code GET /api/v1/events} in the real server bundles, read by a hand-written SSE client: the release sync the
 * server ran at start and rollouts created and approved through the API arrive as events; a token restricted to fleet
 * A never receives fleet B's rollout; a reconnect with {@code Last-Event-ID} gets exactly what it missed; callers
 * without a session or agents.read are refused.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventStreamIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int MANY_STREAMS = 150;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("event-stream");
        ReleaseFolder.configureSource(data, "events", ReleaseFolder.write(data.resolve("releases-in"), 11, "1.0.0", "1.1.0"));
        // more streams from one address than the default 20, to count threads under many open consoles
        Files.writeString(data.resolve("etc/io.printmaster.http.impl.ApiDispatcher.cfg"),
                "max_event_streams_per_address=" + (2 * MANY_STREAMS) + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    private String port() {
        return context.getProperty("org.osgi.service.http.port");
    }

    @Test
    @SuppressWarnings("unchecked")
    public void eventsOfRealActionsArriveFilteredByFleetAndResumeFromTheLastEventId() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(port());
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=1.1.0");
            assertFalse("signed manifest of 1.1.0: " + r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
        });
        String a = "ev-a";
        String b = "ev-b";
        for (String fleet : List.of(a, b)) {
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleet)).status());
            enroll(anonymous, (String) admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of()).json().get("token"));
        }
        String onlyA = admin.createToken("events-a-" + UUID.randomUUID(),
                List.of("agents.read", "rollouts.read", "releases.read"), List.of(a));
        String noAgentsRead = admin.createToken("events-none-" + UUID.randomUUID(), List.of("rollouts.read"), null);
        String session = sessionCookie(admin);

        try (SseClient nobody = SseClient.open(port(), "/api/v1/events");
             SseClient withoutScope = SseClient.open(port(), "/api/v1/events", "Authorization", "Bearer " + noAgentsRead)) {
            assertEquals(401, nobody.status);
            assertEquals(403, withoutScope.status);
        }

        // the sync the server ran when it started, replayed from the beginning of this process's events
        try (SseClient replay = SseClient.open(port(), "/api/v1/events", "Cookie", session, "Last-Event-ID", "0")) {
            assertEquals(200, replay.status);
            assertTrue(replay.contentType, replay.contentType.startsWith("text/event-stream"));
            SseClient.Frame cached = replay.await(WAIT, "release.cached of 1.1.0", f -> f.event().equals("release.cached")
                    && "1.1.0".equals(f.data().get("version")));
            assertEquals("agent", cached.data().get("component"));
            assertEquals(null, cached.data().get("fleet"));
            assertTrue(replay.seen().stream().anyMatch(f -> f.event().equals("sync.progress")
                    && "finished".equals(f.data().get("state"))));
        }

        try (SseClient all = SseClient.open(port(), "/api/v1/events", "Cookie", session);
             SseClient restricted = SseClient.open(port(), "/api/v1/events", "Authorization", "Bearer " + onlyA)) {
            assertEquals(200, all.status);
            assertEquals(200, restricted.status);
            String inB = createRollout(admin, b);
            String inA = createRollout(admin, a);
            SseClient.Frame firstOfB = all.await(WAIT, "B's rollout", f -> f.event().equals("rollout.progress")
                    && inB.equals(f.data().get("rollout_id")));
            assertEquals(b, firstOfB.data().get("fleet"));
            assertEquals("awaiting_approval", firstOfB.data().get("state"));
            assertEquals("rollout.progress", firstOfB.data().get("type"));
            assertTrue(firstOfB.toString(), firstOfB.data().get("at") instanceof String);
            assertEquals(1, ((Map<String, Object>) firstOfB.data().get("counts")).get("targeted"));
            all.await(WAIT, "A's rollout", f -> inA.equals(f.data().get("rollout_id")));

            SseClient.Frame ofA = restricted.await(WAIT, "A's rollout on A's token", f -> f.event().equals("rollout.progress")
                    && inA.equals(f.data().get("rollout_id")));
            assertEquals(a, ofA.data().get("fleet"));
            assertTrue("B's rollout reached a token restricted to A: " + restricted.seen(), restricted.seen().stream()
                    .noneMatch(f -> b.equals(f.data().get("fleet")) || inB.equals(f.data().get("rollout_id"))));

            assertEquals(200, admin.post("/api/v1/rollouts/" + inA + "/approve", Map.of()).status());
            restricted.await(WAIT, "A's rollout running", f -> inA.equals(f.data().get("rollout_id"))
                    && "running".equals(f.data().get("state")));
            SseClient.Frame running = all.await(WAIT, "A's rollout running", f -> inA.equals(f.data().get("rollout_id"))
                    && "running".equals(f.data().get("state")));

            // a console that missed everything since B's first event gets exactly that, in order, then new ones
            List<SseClient.Frame> after = all.seen().stream().filter(f -> f.seq() > firstOfB.seq()).toList();
            try (SseClient resumed = SseClient.open(port(), "/api/v1/events", "Cookie", session,
                    "Last-Event-ID", firstOfB.id())) {
                for (SseClient.Frame expected : after) {
                    SseClient.Frame got = resumed.await(WAIT, "replayed " + expected.id(), f -> true);
                    assertEquals(expected, got);
                }
                assertEquals(running.id(), resumed.seen().get(resumed.seen().size() - 1).id());
                assertEquals(200, admin.post("/api/v1/rollouts/" + inB + "/abort", Map.of()).status());
                resumed.await(WAIT, "B's rollout aborted, live", f -> inB.equals(f.data().get("rollout_id"))
                        && "aborted".equals(f.data().get("state")));
            }
        }
    }

    /**
     * Open consoles hold no server thread: {@value #MANY_STREAMS} streams opened over plain sockets (no client threads
     * either: this test only writes the request and reads the first frame) add next to no threads to this JVM, and
     * the server answers as before.
     */
    @Test
    public void openStreamsHoldNoThreads() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(port());
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        Eventually.within(WAIT, () -> assertTrue("the stream limit of etc/ is applied", context.getServiceReferences(
                (String) null, "(max_event_streams_per_address=" + (2 * MANY_STREAMS) + ")") != null));
        String token = admin.createToken("many-" + UUID.randomUUID(), List.of("agents.read"), null);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        int before = threads.getThreadCount();
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < MANY_STREAMS; i++) {
                Socket s = new Socket("127.0.0.1", Integer.parseInt(port()));
                s.setSoTimeout(20_000);
                open.add(s);
                s.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                String head = readUntil(s.getInputStream(), "retry: ");
                assertTrue("stream " + i + " is open: " + head, head.startsWith("HTTP/1.1 200"));
            }
            int during = threads.getThreadCount();
            System.out.println("[measure] JVM threads with " + MANY_STREAMS + " open event streams: " + before + " -> " + during);
            assertTrue(MANY_STREAMS + " open streams took " + (during - before) + " threads", during - before < 20);
            assertEquals(200, admin.get("/api/v1/webhooks").status());
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    /** Reads until {@code marker} has arrived; returns what was read. */
    private static String readUntil(InputStream in, String marker) throws Exception {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(marker) < 0) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the stream ended before '" + marker + "': " + read);
            }
            read.append((char) b);
        }
        return read.toString();
    }

    private static String createRollout(ApiClient admin, String fleet) throws Exception {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", null);
        plan.put("waves", List.of(Map.of("percent", 100)));
        plan.put("max_concurrent", 5);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("component", "agent");
        body.put("version", "1.1.0");
        body.put("fleets", List.of(fleet));
        body.put("plan", plan);
        body.put("require_approval", true);
        ApiClient.Response created = admin.post("/api/v1/rollouts", body);
        assertEquals(created.body(), 201, created.status());
        return (String) ((Map<?, ?>) created.json().get("rollout")).get("id");
    }

    private static void enroll(ApiClient anonymous, String joinToken) throws Exception {
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", Map.of("join_token", joinToken,
                "hostname", "events-host-" + UUID.randomUUID(), "platform", "linux", "arch", "amd64",
                "current_version", "1.0.0"));
        assertEquals(enrolled.body(), 201, enrolled.status());
    }

    /** The console session's cookie, as a browser's EventSource sends it. */
    private static String sessionCookie(ApiClient session) {
        return session.cookie();
    }
}
