package io.printmaster.agent.enrollment.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.core.retry.Backoff;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's push loop against a real HTTP server on loopback that answers as the server's wait route would: the
 * handshake is followed by a check-in, events make the agent check in, a 204 keeps the cursor going, and failures
 * make it back off and connect again with a new handshake (and check-in), while it never gives up.
 */
class PushWaitLoopTest {
    private HttpServer server;
    private PushWaitLoop loop;
    private final List<String> queries = new CopyOnWriteArrayList<>();
    private final AtomicInteger checkIns = new AtomicInteger();

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** Serves the wait route: {@code answer} gives status, body and cursor header for the n-th request (from 0). */
    private void serve(java.util.function.BiFunction<Integer, String, Object[]> answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger n = new AtomicInteger();
        server.createContext(PushWaitLoop.WAIT, ex -> {
            String query = ex.getRequestURI().getRawQuery();
            queries.add(query == null ? "" : query);
            assertEquals("Bearer pma_secret", ex.getRequestHeaders().getFirst("Authorization"));
            Object[] a = answer.apply(n.getAndIncrement(), query == null ? "" : query);
            respond(ex, (Integer) a[0], (String) a[1], a.length > 2 ? (String) a[2] : null);
        });
        server.start();
    }

    private static void respond(HttpExchange ex, int status, String body, String cursorHeader) throws IOException {
        if (cursorHeader != null) {
            ex.getResponseHeaders().add(PushWaitLoop.CURSOR_HEADER, cursorHeader);
        }
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    private void startLoop() {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        loop = new PushWaitLoop(new PushWaitLoop.Agent() {
            @Override
            public Optional<EnrolledAgent> current() {
                return Optional.of(new EnrolledAgent("agt_1", "lab", url, Instant.now()));
            }

            @Override
            public Optional<String> credential() {
                return Optional.of("pma_secret");
            }

            @Override
            public SSLContext serverTls() {
                return null;
            }

            @Override
            public Optional<CheckIn> checkInNow(Duration timeout) {
                checkIns.incrementAndGet();
                return Optional.empty();
            }
        }, () -> true, Backoff.of(Duration.ofMillis(1), Duration.ofMillis(20), Integer.MAX_VALUE), Duration.ofSeconds(2));
        loop.start();
    }

    @Test
    void aHandshakeThenEventsEachMakeTheAgentCheckInAndTheCursorIsCarriedOn() throws Exception {
        serve((n, query) -> switch (n) {
            case 0 -> new Object[] {200, "{\"events\":[],\"cursor\":\"c1\"}"};
            case 1 -> new Object[] {200, "{\"events\":[{\"type\":\"command\",\"command_id\":\"cmd_1\"}],\"cursor\":\"c2\"}"};
            case 2 -> new Object[] {204, null, "c3"};
            case 3 -> new Object[] {200, "{\"events\":[{\"type\":\"some_future_type\"}],\"cursor\":\"c4\"}"};
            default -> new Object[] {204, null, "c4"};
        });
        startLoop();
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.size() >= 5);
        assertEquals(List.of("", "cursor=c1", "cursor=c2", "cursor=c3", "cursor=c4"), queries.subList(0, 5));
        assertEquals(3, checkIns.get(), "after the handshake and after each answer with events (an unknown type too)");
        assertTrue(loop.connectedSince().isPresent());
        assertEquals(2, loop.eventAnswers());
    }

    @Test
    void failuresBackOffAndTheNextConnectionStartsWithAHandshakeAndACheckIn() throws Exception {
        serve((n, query) -> switch (n) {
            case 0 -> new Object[] {200, "{\"events\":[],\"cursor\":\"c1\"}"};
            case 1, 2 -> new Object[] {502, "<html>bad gateway</html>"};
            case 3 -> new Object[] {200, "{\"events\":[],\"cursor\":\"d1\"}"};
            default -> new Object[] {204, null, "d1"};
        });
        startLoop();
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.size() >= 5);
        assertEquals(List.of("", "cursor=c1", "", "", "cursor=d1"), queries.subList(0, 5),
                "after a failure the cursor is dropped: a handshake again");
        assertEquals(2, checkIns.get(), "one check-in per connection made");
        assertTrue(loop.connectedSince().isPresent());
    }

    @Test
    void aServerWithoutTheRouteLeavesTheAgentUnconnectedButItKeepsAsking() throws Exception {
        serve((n, query) -> new Object[] {404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint\"}}"});
        startLoop();
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.size() >= 3);
        assertTrue(loop.connectedSince().isEmpty());
        assertEquals(0, checkIns.get(), "no push, no extra check-ins: the periodic ones continue");
    }
}
