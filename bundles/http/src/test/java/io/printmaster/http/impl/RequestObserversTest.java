package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.RequestObserver;
import io.printmaster.http.api.RequestObserver.ObservedRequest;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Observers are told of each answered request in a real Jetty: the route template (not the path), the method, the
 * status of the whole answer, and for downloads the bytes that went out and their kind, including answers finished
 * asynchronously; an observer that throws changes nothing for the client.
 */
class RequestObserversTest {
    private static final long FILE_BYTES = 4 * 1024 * 1024;

    private JettyFixture jetty;
    private final BlockingQueue<ObservedRequest> seen = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        jetty = new JettyFixture(Map.of(), Map.of(), null);
        jetty.dispatcher.addObserver(seen::add);
    }

    @AfterEach
    void stop() throws Exception {
        jetty.close();
    }

    private ObservedRequest next() throws InterruptedException {
        ObservedRequest r = seen.poll(10, TimeUnit.SECONDS);
        assertNotNull(r, "no request was observed within 10 s");
        return r;
    }

    @Test
    void aRouteIsReportedByItsTemplateWithStatusAndDuration() throws Exception {
        long before = System.nanoTime();
        String answer = jetty.request("127.0.0.1", "GET", "/api/v1/health", Map.of());
        long elapsed = System.nanoTime() - before;
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        ObservedRequest r = next();
        assertEquals("/api/v1/health", r.route());
        assertEquals("GET", r.method());
        assertEquals(200, r.status());
        assertTrue(r.durationNanos() > 0 && r.durationNanos() <= elapsed, "duration " + r.durationNanos());
        assertFalse(r.download());
        assertFalse(r.eventStream());
        assertEquals(0, r.bytesSent());
    }

    @Test
    void anEventStreamIsReportedWhenItCloses() throws Exception {
        try (Socket s = jetty.connect("127.0.0.1")) {
            JettyFixture.write(s, "GET /api/v1/stream HTTP/1.1\r\nHost: printmaster.test\r\n\r\n");
            assertTrue(JettyFixture.readHead(s).startsWith("HTTP/1.1 200"));
            assertNull(seen.poll(200, TimeUnit.MILLISECONDS), "an open stream is not reported yet");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (jetty.sinks.isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // the stream registers its sink right after sending its head
            }
            jetty.sinks.get(0).close();
        }
        ObservedRequest r = next();
        assertTrue(r.eventStream());
        assertEquals("/api/v1/stream", r.route());
        assertEquals(200, r.status());
    }

    @Test
    void anUnknownPathHasNoRoute() throws Exception {
        jetty.request("127.0.0.1", "GET", "/api/v1/no/such/thing/42", Map.of());
        ObservedRequest r = next();
        assertNull(r.route(), "a raw path never becomes a label");
        assertEquals(404, r.status());
        jetty.request("127.0.0.1", "DELETE", "/api/v1/health", Map.of());
        ObservedRequest wrongMethod = next();
        assertEquals(405, wrongMethod.status());
        assertEquals("DELETE", wrongMethod.method());
    }

    @Test
    void aBodyReadAsynchronouslyIsReportedWhenAnswered() throws Exception {
        try (Socket s = jetty.connect("127.0.0.1")) {
            JettyFixture.write(s, "POST /api/v1/echo HTTP/1.1\r\nHost: printmaster.test\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            assertTrue(JettyFixture.readToEnd(s).startsWith("HTTP/1.1 200"));
        }
        ObservedRequest r = next();
        assertEquals("/api/v1/echo", r.route());
        assertEquals("POST", r.method());
        assertEquals(200, r.status());
    }

    @Test
    void downloadsReportTheirBytesAndKind() throws Exception {
        String whole = jetty.request("127.0.0.1", "GET", "/api/v1/file", Map.of());
        assertTrue(whole.startsWith("HTTP/1.1 200"));
        ObservedRequest file = next();
        assertTrue(file.download());
        assertEquals("file", file.downloadKind());
        assertEquals(FILE_BYTES, file.bytesSent());
        assertEquals(200, file.status());

        jetty.request("127.0.0.1", "GET", "/api/v1/written", Map.of("Range", "bytes=100-1099"));
        ObservedRequest ranged = next();
        assertEquals("written", ranged.downloadKind());
        assertEquals(206, ranged.status());
        assertEquals(1000, ranged.bytesSent());

        jetty.request("127.0.0.1", "GET", "/api/v1/file", Map.of("If-None-Match", "\"file-v1\""));
        ObservedRequest notModified = next();
        assertEquals(304, notModified.status());
        assertFalse(notModified.download(), "a 304 sends no body");
    }

    @Test
    void aFailingObserverBreaksNothing() throws Exception {
        RequestObserver broken = r -> {
            throw new IllegalStateException("observer bug");
        };
        jetty.dispatcher.addObserver(broken);
        String answer = jetty.request("127.0.0.1", "GET", "/api/v1/health", Map.of());
        assertTrue(answer.startsWith("HTTP/1.1 200") && answer.contains("UP"), answer);
        assertEquals(200, next().status(), "the other observers are still told");
        jetty.dispatcher.removeObserver(broken);
    }

    @Test
    void theKindIsTheLastFixedSegmentBeforeTheFirstParameter() {
        assertEquals("installers", RequestObservers.kindOf("/api/v1/installers/{fleet}/{platform}"));
        assertEquals("download", RequestObservers.kindOf("/api/v1/agents/update/download/{component}/{version}/{target}"));
        assertEquals("bundle", RequestObservers.kindOf("/api/v1/agents/update/bundle/{version}/{target}/{sha256}"));
        assertEquals("file", RequestObservers.kindOf("/api/v1/file"));
    }
}
