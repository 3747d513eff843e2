package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.PendingAnswer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deferred answers (long polls) in a real Jetty on a small thread pool: many waits hold no threads, the producer's
 * answer arrives as sent, the time limit answers the time-out answer, and a quiet wait outlives the connection's
 * idle timeout.
 */
@org.junit.jupiter.api.Timeout(60)
class DeferredAnswerTest {
    private final List<Socket> sockets = new ArrayList<>();
    private JettyFixture jetty;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (jetty != null) {
            jetty.close();
        }
    }

    private Socket waitRequest(long ms) throws IOException {
        Socket s = jetty.connect("127.0.0.1");
        sockets.add(s);
        JettyFixture.write(s, "GET /api/v1/wait?ms=" + ms + " HTTP/1.1\r\nHost: x\r\n\r\n");
        return s;
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + within + ": " + what);
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    @Test
    void manyWaitsHoldNoThreadsAndEachGetsItsAnswer() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        int waits = JettyFixture.MAX_THREADS * 3;
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < waits; i++) {
            clients.add(waitRequest(60_000));
        }
        await("every wait is pending", Duration.ofSeconds(10), () -> jetty.waiting.size() == waits);
        QueuedThreadPool pool = (QueuedThreadPool) jetty.server.getThreadPool();
        assertTrue(pool.getBusyThreads() < JettyFixture.MAX_THREADS / 2, "busy threads: " + pool.getBusyThreads());
        String health = jetty.request("127.0.0.1", "GET", "/api/v1/health", Map.of());
        assertTrue(health.startsWith("HTTP/1.1 200 "), health);

        PendingAnswer first = jetty.waiting.get(0);
        assertTrue(first.answer(ApiResponse.ok(Map.of("events", List.of("hello")))));
        assertFalse(first.answer(ApiResponse.noContent()), "only the first answer counts");
        assertFalse(first.isOpen());
        List<PendingAnswer> rest = List.copyOf(jetty.waiting);
        rest.forEach(p -> p.answer(ApiResponse.ok(Map.of("events", List.of("hello")))));
        for (Socket s : clients) {
            String head = JettyFixture.readHead(s);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.toLowerCase().contains("content-type: application/json"), head);
            int length = Integer.parseInt(head.toLowerCase().split("content-length: ")[1].split("\r\n")[0].trim());
            String body = new String(s.getInputStream().readNBytes(length), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals("{\"events\":[\"hello\"]}", body);
        }
        await("every wait is closed", Duration.ofSeconds(5), () -> jetty.waiting.isEmpty());
    }

    @Test
    void nobodyAnsweringGetsTheTimeOutAnswerAtTheLimitAndTheConnectionIsReused() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        Socket s = waitRequest(500);
        long start = System.nanoTime();
        String head = JettyFixture.readHead(s);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(head.startsWith("HTTP/1.1 204 "), head);
        assertTrue(millis >= 450 && millis < 5000, "at the limit: " + millis + " ms");
        // keep-alive: the same connection takes the next wait
        JettyFixture.write(s, "GET /api/v1/wait?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 204 "));
        await("no wait left", Duration.ofSeconds(5), () -> jetty.waiting.isEmpty());
    }

    @Test
    void aQuietWaitOutlivesTheIdleTimeout() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of("idle_timeout_seconds", 1L), null);
        Socket s = waitRequest(3_000);
        long start = System.nanoTime();
        String head = JettyFixture.readHead(s);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(head.startsWith("HTTP/1.1 204 "), "answered at the wait's end, not cut at the idle timeout: " + head);
        assertTrue(millis >= 2900, "after the wait: " + millis + " ms");
        // the idle timeout is in force: the same connection, now idle, is closed by the server within seconds
        long idleStart = System.nanoTime();
        assertEquals(-1, s.getInputStream().read(), "closed by the server");
        long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleStart);
        assertTrue(idleMillis < 2900, "the idle connection lasted " + idleMillis + " ms");
    }

    @Test
    void aClientThatLeavesEndsItsWaitAtTheLatestAtItsLimit() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        Socket s = waitRequest(1_000);
        await("the wait is pending", Duration.ofSeconds(5), () -> jetty.waiting.size() == 1);
        s.close();
        await("the wait is closed", Duration.ofSeconds(5), () -> jetty.waiting.isEmpty());
    }
}
