package io.printmaster.server.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The image's health probe against a real HTTP listener on loopback that answers as the server's health route. */
class HealthProbeTest {
    HttpServer http;
    final AtomicInteger status = new AtomicInteger(200);
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void listen() throws Exception {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext(HealthProbe.PATH, exchange -> {
            byte[] body = (status.get() == 200 ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\",\"waiting_for\":[\"store\"]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
    }

    @AfterEach
    void stop() {
        http.stop(0);
    }

    private int probe(Map<String, String> env, String... args) {
        return HealthProbe.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private Map<String, String> port() {
        return Map.of("PM_PORT", Integer.toString(http.getAddress().getPort()));
    }

    @Test
    void upIsZeroOnThePortOfPmPort() {
        assertEquals(0, probe(port()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("/api/v1/health UP"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void downOrNoAnswerIsOne() throws Exception {
        status.set(503);
        assertEquals(1, probe(port()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("answered 503: {\"status\":\"DOWN\""), out.toString(StandardCharsets.UTF_8));
        int closed = http.getAddress().getPort();
        http.stop(0);
        assertEquals(1, probe(Map.of("PM_PORT", Integer.toString(closed)), "--timeout-seconds", "2"));
    }

    @Test
    void withTlsItDialsHttpsAndWithoutTheServedCertificateItIsDown() {
        // the listener speaks plain HTTP: a probe that dials https, as PM_TLS says, gets no healthy answer
        Map<String, String> env = Map.of("PM_PORT", Integer.toString(http.getAddress().getPort()), "PM_TLS", "self-signed",
                "PM_DATA_DIR", "/nonexistent");
        assertEquals(1, probe(env));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("https://127.0.0.1:"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badOptionsNameTheFlag() {
        assertEquals(2, probe(Map.of(), "--timeout-seconds", "0"));
        assertEquals(2, probe(Map.of(), "--bogus"));
        assertEquals(2, probe(Map.of("PM_PORT", "eighty")));
        String said = err.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("--timeout-seconds: 0 is not between 1 and 300") && said.contains("unknown option '--bogus'")
                && said.contains("PM_PORT: 'eighty' is not a port number"), said);
    }
}
