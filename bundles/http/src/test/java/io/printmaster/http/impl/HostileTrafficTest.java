package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow request bodies, event streams, connections per address and forwarded headers, against a real Jetty whose
 * thread pool is small ({@value JettyFixture#MAX_THREADS} threads): three times as many slow clients as threads
 * must not keep the health route from answering.
 */
@org.junit.jupiter.api.Timeout(120)
class HostileTrafficTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Socket> sockets = new ArrayList<>();
    private final ScheduledExecutorService trickle = Executors.newScheduledThreadPool(2);
    private JettyFixture jetty;

    @AfterEach
    void stop() throws Exception {
        trickle.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
        if (jetty != null) {
            jetty.close();
        }
    }

    private Socket open(String from) throws IOException {
        Socket s = jetty.connect(from);
        sockets.add(s);
        return s;
    }

    private static JsonNode errorOf(String answer, int status) throws IOException {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        assertTrue(answer.toLowerCase().contains("content-type: application/json"), answer);
        return JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error");
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + within + ": " + what);
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    /**
     * The health route answers 200 each time while the stalled clients hold their connections. Were a thread held
     * per stalled client, health would queue until one is let go by the idle timeout (30 s): the bound of 10 s tells
     * the two apart without timing the server on a busy machine.
     */
    private void healthAnswersPromptly(int times) throws IOException {
        for (int i = 0; i < times; i++) {
            long start = System.nanoTime();
            String answer = jetty.request("127.0.0.1", "GET", "/api/v1/health", Map.of());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(millis < 10_000, "health waited " + millis + " ms: a thread is held per stalled client");
        }
    }

    @Test
    void aTricklingBodyIsCutOffWith408LongBeforeTheDeadline() throws Exception {
        jetty = new JettyFixture(Map.of("body_read_timeout_seconds", 30L), Map.of("min_body_bytes_per_second", 1024L), null);
        Socket s = open("127.0.0.1");
        JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
        // one byte every 300 ms: the rate check at the next read finds far fewer bytes than 1024 B/s would bring
        trickle.scheduleAtFixedRate(() -> {
            try {
                JettyFixture.write(s, " ");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 300, 300, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        String answer = JettyFixture.readToEnd(s);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals("request_timeout", errorOf(answer, 408).path("code").asText(), answer);
        assertTrue(answer.toLowerCase().contains("connection: close"), answer);
        assertTrue(seconds < 10, "cut off by the data rate, not the 30 s deadline: " + seconds + " s");
    }

    @Test
    void aBodyThatStopsArrivingIsCutOffAtTheDeadline() throws Exception {
        jetty = new JettyFixture(Map.of("body_read_timeout_seconds", 2L), Map.of(), null);
        Socket s = open("127.0.0.1");
        long start = System.nanoTime();
        JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\"");
        String answer = JettyFixture.readToEnd(s); // ends when the server closes the connection
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        JsonNode error = errorOf(answer, 408);
        assertEquals("request_timeout", error.path("code").asText());
        assertEquals("the request body did not arrive within 2 s", error.path("message").asText());
        assertTrue(millis >= 1900 && millis < 8000, "at the 2 s deadline: " + millis + " ms");
    }

    @Test
    void aWholeBodyIsStillHandled() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        Socket s = open("127.0.0.1");
        JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\n\r\n{\"a\":\"bc\"}\n");
        String answer = JettyFixture.readToEnd(s);
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.endsWith("{\"bytes\":11}"), answer);
    }

    @Test
    void aSmallBodyThatTakesAMomentIsHandledWithTheDefaults() throws Exception {
        // Jetty's minimum data rate compares the bytes that arrived with the time since the first one, whenever the
        // body is read: a 2-byte body read 500 ms after its first byte (here: its second byte came late; on a busy
        // server: the reading thread ran late) is "2 B in 0.5 s" and was refused with 408 under the old default
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        Socket s = open("127.0.0.1");
        JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n{");
        trickle.schedule(() -> {
            try {
                JettyFixture.write(s, "}");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 500, TimeUnit.MILLISECONDS);
        String answer = JettyFixture.readToEnd(s);
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.endsWith("{\"bytes\":2}"), answer);
    }

    @Test
    void slowBodiesHoldNoThread() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of("min_body_bytes_per_second", 1L), null);
        int slow = 3 * JettyFixture.MAX_THREADS;
        for (int i = 0; i < slow; i++) {
            Socket s = open("127.0.0." + (2 + i % 8));
            JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{");
        }
        healthAnswersPromptly(20);
        QueuedThreadPool pool = (QueuedThreadPool) jetty.server.getThreadPool();
        assertTrue(pool.getBusyThreads() < JettyFixture.MAX_THREADS / 2, "busy threads: " + pool.getBusyThreads());
    }

    @Test
    void downloadsToClientsThatDoNotReadHoldNoThread() throws Exception {
        downloadsHoldNoThread("/api/v1/file");
    }

    @Test
    void downloadsFromARangeWriterToClientsThatDoNotReadHoldNoThread() throws Exception {
        downloadsHoldNoThread("/api/v1/written");
    }

    private void downloadsHoldNoThread(String path) throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        for (int i = 0; i < 3 * JettyFixture.MAX_THREADS; i++) {
            Socket s = open("127.0.0." + (2 + i % 8));
            s.setReceiveBufferSize(4096);
            JettyFixture.write(s, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        healthAnswersPromptly(20);
        QueuedThreadPool pool = (QueuedThreadPool) jetty.server.getThreadPool();
        assertTrue(pool.getBusyThreads() < JettyFixture.MAX_THREADS / 2, "busy threads: " + pool.getBusyThreads());

        byte[] expected = java.nio.file.Files.readAllBytes(jetty.file);
        Socket whole = open("127.0.0.20");
        JettyFixture.write(whole, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String head = JettyFixture.readHead(whole);
        assertTrue(head.startsWith("HTTP/1.1 200 ") && head.contains("Content-Length: " + expected.length), head);
        assertTrue(java.util.Arrays.equals(expected, whole.getInputStream().readAllBytes()), "the whole file, byte for byte");

        Socket range = open("127.0.0.21");
        JettyFixture.write(range, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=1048570-1048579\r\n\r\n");
        String rangeHead = JettyFixture.readHead(range);
        assertTrue(rangeHead.startsWith("HTTP/1.1 206 ") && rangeHead.contains("Content-Range: bytes 1048570-1048579/" + expected.length), rangeHead);
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(expected, 1048570, 1048580), range.getInputStream().readAllBytes()));
    }

    @Test
    void eventStreamsHoldNoThreadAndDeliverEvents() throws Exception {
        jetty = new JettyFixture(Map.of("max_event_streams_per_address", 100, "event_stream_keep_alive_seconds", 1L), Map.of(), null);
        int streams = 3 * JettyFixture.MAX_THREADS;
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            Socket s = open("127.0.0." + (2 + i % 4));
            JettyFixture.write(s, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
            clients.add(s);
        }
        for (Socket s : clients) {
            String head = JettyFixture.readHead(s);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.toLowerCase().contains("content-type: text/event-stream"), head);
        }
        await("every stream is open", Duration.ofSeconds(10), () -> jetty.sinks.size() == streams);
        healthAnswersPromptly(20);
        QueuedThreadPool pool = (QueuedThreadPool) jetty.server.getThreadPool();
        assertTrue(pool.getBusyThreads() < JettyFixture.MAX_THREADS / 2, "busy threads: " + pool.getBusyThreads());

        jetty.sinks.forEach(sink -> sink.send("id: 1\nevent: hello\ndata: {}\n\n"));
        String seen = readUntil(clients.get(0), "event: hello");
        assertTrue(seen.contains("retry: 2000"), seen);

        // a client that leaves is noticed (the keep-alive write fails) and its place given back
        clients.get(1).close();
        await("the stream of the client that left is closed", Duration.ofSeconds(10),
                () -> jetty.sinks.size() == streams - 1 && jetty.dispatcher.openEventStreams() == streams - 1);

        // the producer ends the streams: the clients see the end of the chunked body, and every place is free
        jetty.sinks.forEach(io.printmaster.http.api.EventSink::close);
        assertTrue(JettyFixture.readToEndOfChunks(clients.get(0)), "the stream ends");
        await("every place is given back", Duration.ofSeconds(10), () -> jetty.dispatcher.openEventStreams() == 0);
    }

    @Test
    void anIdleStreamOutlivesTheIdleTimeoutOnItsKeepAlives() throws Exception {
        jetty = new JettyFixture(Map.of("event_stream_keep_alive_seconds", 1L), Map.of("idle_timeout_seconds", 3L), null);
        Socket s = open("127.0.0.2");
        JettyFixture.write(s, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(readUntil(s, "retry: 2000").contains("retry: 2000"));
        long start = System.nanoTime();
        int keepAlives = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(7)) {
            String more = readUntil(s, ": keep-alive");
            assertTrue(more.contains(": keep-alive"), "still open after " + keepAlives + " keep-alives: " + more);
            keepAlives++;
        }
        assertEquals(1, jetty.dispatcher.openEventStreams());
    }

    private static String readUntil(Socket s, String marker) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        while (!b.toString().contains(marker)) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    @Test
    void streamsAreCappedPerAddressWith429AndServerWideWith503() throws Exception {
        jetty = new JettyFixture(Map.of("max_event_streams", 3, "max_event_streams_per_address", 2), Map.of(), null);
        for (String from : List.of("127.0.0.2", "127.0.0.2", "127.0.0.3")) {
            Socket s = open(from);
            JettyFixture.write(s, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 200 "));
        }
        JsonNode perAddress = errorOf(jetty.request("127.0.0.2", "GET", "/api/v1/stream", Map.of()), 429);
        assertEquals("too_many_streams", perAddress.path("code").asText());
        JsonNode serverWide = errorOf(jetty.request("127.0.0.4", "GET", "/api/v1/stream", Map.of()), 503);
        assertEquals("too_many_streams", serverWide.path("code").asText());
        assertEquals(3, jetty.dispatcher.openEventStreams());
    }

    @Test
    void connectionsPerAddressAreCappedButNotForTrustedProxies() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of("max_connections_per_address", 3), "127.0.0.6");
        for (int i = 0; i < 3; i++) {
            Socket s = open("127.0.0.5");
            JettyFixture.write(s, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 200 "));
        }
        Socket fourth = open("127.0.0.5");
        assertTrue(closedWithoutAnswer(fourth), "the fourth connection of one address is closed");
        assertTrue(jetty.request("127.0.0.7", "GET", "/api/v1/health", Map.of()).startsWith("HTTP/1.1 200 "),
                "another address is served");
        for (int i = 0; i < 5; i++) {
            Socket s = open("127.0.0.6");
            JettyFixture.write(s, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 200 "), "a trusted proxy is not capped");
        }
        // a closed connection gives its place back
        sockets.get(0).close();
        await("a place is free again", Duration.ofSeconds(10), () -> {
            try {
                return jetty.request("127.0.0.5", "GET", "/api/v1/health", Map.of()).startsWith("HTTP/1.1 200 ");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static boolean closedWithoutAnswer(Socket s) {
        try {
            JettyFixture.write(s, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
            return s.getInputStream().read() < 0;
        } catch (SocketException e) {
            return true; // reset
        } catch (IOException e) {
            return false;
        }
    }

    private JsonNode whoami(String from, Map<String, String> headers) throws IOException {
        String answer = jetty.request(from, "GET", "/api/v1/whoami", headers);
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        return JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }

    @Test
    void forwardedHeadersFromAnUntrustedPeerAreIgnoredAndRemoved() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of("trusted_proxies", "10.0.0.0/8"), null);
        JsonNode me = whoami("127.0.0.7", Map.of("X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https",
                "X-Forwarded-Host", "evil.example", "Forwarded", "for=198.51.100.3;proto=https"));
        assertEquals("127.0.0.7", me.path("address").asText());
        assertFalse(me.path("secure").asBoolean());
        assertEquals("printmaster.test", me.path("host").asText());
        assertEquals("", me.path("forwarded_for").asText(), "the handlers never see the header");
    }

    @Test
    void forwardedHeadersFromATrustedPeerAreHonouredTakingTheNearestUntrustedHop() throws Exception {
        // the launcher's list (PM_TRUSTED_PROXIES) wins over the configuration file's
        jetty = new JettyFixture(Map.of(), Map.of("trusted_proxies", "10.0.0.0/8"), "127.0.0.8, 127.0.0.9");
        JsonNode me = whoami("127.0.0.8", Map.of("X-Forwarded-For", "198.51.100.1, 203.0.113.9",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "updates.example.com"));
        assertEquals("203.0.113.9", me.path("address").asText(), "the left-most entry is whatever the client sent");
        assertTrue(me.path("secure").asBoolean());
        assertEquals("updates.example.com", me.path("host").asText());

        JsonNode chained = whoami("127.0.0.8", Map.of("X-Forwarded-For", "203.0.113.9, 127.0.0.9"));
        assertEquals("203.0.113.9", chained.path("address").asText(), "a trusted hop in the chain is skipped");

        JsonNode rfc7239 = whoami("127.0.0.9", Map.of("Forwarded", "for=192.0.2.60;proto=https;host=a.example"));
        assertEquals("192.0.2.60", rfc7239.path("address").asText());
        assertTrue(rfc7239.path("secure").asBoolean());

        JsonNode direct = whoami("127.0.0.10", Map.of("X-Forwarded-For", "203.0.113.9"));
        assertEquals("127.0.0.10", direct.path("address").asText(), "127.0.0.10 is not in the list");
    }

    @Test
    void aListenerAddedLaterGetsTheSameDefences() throws Exception {
        // as an HTTPS listener contributed by another ConnectorFactory after this one would be
        jetty = new JettyFixture(Map.of(), Map.of("max_connections_per_address", 2, "min_body_bytes_per_second", 2048L), "127.0.0.8");
        org.eclipse.jetty.server.ServerConnector second = new org.eclipse.jetty.server.ServerConnector(jetty.server, 1, 1);
        second.setHost("127.0.0.1");
        second.setPort(0);
        jetty.server.addConnector(second);
        second.start();
        var config = second.getConnectionFactory(org.eclipse.jetty.server.HttpConnectionFactory.class).getHttpConfiguration();
        assertEquals(2048, config.getMinRequestDataRate());
        assertTrue(config.getCustomizer(TrustedProxyCustomizer.class) != null, "forwarded headers are gated there too");
        assertEquals(30_000, second.getIdleTimeout());

        java.util.function.Function<String, Socket> connect = from -> {
            try {
                Socket s = new Socket();
                s.bind(new java.net.InetSocketAddress(from, 0));
                s.connect(new java.net.InetSocketAddress("127.0.0.1", second.getLocalPort()), 5_000);
                s.setSoTimeout(30_000);
                sockets.add(s);
                return s;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Socket viaProxy = connect.apply("127.0.0.8");
        JettyFixture.write(viaProxy, "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
        String answer = JettyFixture.readToEnd(viaProxy);
        assertTrue(answer.contains("\"address\":\"203.0.113.9\""), answer);
        for (int i = 0; i < 2; i++) {
            Socket s = connect.apply("127.0.0.5");
            JettyFixture.write(s, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 200 "));
        }
        assertTrue(closedWithoutAnswer(connect.apply("127.0.0.5")), "the per-address cap holds on the new listener");
    }

    @Test
    void aTrustedProxyListWithAnInvalidEntryIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConnectionDefences(
                JettyFixture.config(ConnectionDefences.Config.class, Map.of()), "10.0.0.1, proxy.example"));
        assertEquals("PM_TRUSTED_PROXIES: 'proxy.example' is not an IP address or CIDR block", e.getMessage());
        IllegalArgumentException prefix = assertThrows(IllegalArgumentException.class, () -> new ConnectionDefences(
                JettyFixture.config(ConnectionDefences.Config.class, Map.of("trusted_proxies", "10.0.0.0/33")), null));
        assertEquals("trusted_proxies: '10.0.0.0/33': the prefix length must be between 0 and 32", prefix.getMessage());
    }
}
