package io.printmaster.agent.enrollment.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile server's check-in answers over real HTTP on loopback: an endless answer is cut at 1 MiB and its
 * connection dropped, a trickling one at the deadline; the next, normal answer is read as before.
 */
class ServerClientLimitsTest {
    private static final HostFacts HOST = new HostFacts("h", "linux", "amd64", "1.0.0", List.of());
    private HttpServer server;
    private volatile String mode = "normal";
    private final AtomicLong sentByEndless = new AtomicLong();
    private final CountDownLatch endlessEnded = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext(ServerClient.CHECK_IN, ex -> {
            ex.getRequestBody().readAllBytes();
            switch (mode) {
                case "endless" -> {
                    ex.sendResponseHeaders(200, 0); // chunked, no length: it never ends
                    byte[] chunk = "{\"a\":\"".concat("x".repeat(16 * 1024)).getBytes(StandardCharsets.US_ASCII);
                    try (OutputStream out = ex.getResponseBody()) {
                        while (sentByEndless.get() < 64L * 1024 * 1024) {
                            out.write(chunk);
                            sentByEndless.addAndGet(chunk.length);
                        }
                    } catch (IOException dropped) {
                        endlessEnded.countDown(); // the agent hung up
                    }
                }
                case "trickle" -> {
                    ex.sendResponseHeaders(200, 0);
                    try (OutputStream out = ex.getResponseBody()) {
                        for (int i = 0; i < 600; i++) {
                            out.write('{');
                            out.flush();
                            Thread.sleep(100); // the hostile server's pace, not the test waiting
                        }
                    } catch (IOException | InterruptedException dropped) {
                        // the agent hung up
                    }
                }
                default -> {
                    byte[] ok = "{\"update_available\":false}".getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, ok.length);
                    ex.getResponseBody().write(ok);
                    ex.close();
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ServerClient client(Duration timeout) throws Exception {
        return new ServerClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), null,
                Duration.ofSeconds(2), timeout);
    }

    @Test
    void anEndlessAnswerIsCutAtOneMebibyteAndTheConnectionDropped() throws Exception {
        ServerClient client = client(Duration.ofSeconds(30));
        mode = "endless";
        IOException e = assertThrows(IOException.class, () -> client.checkIn("pma_x", HOST));
        assertTrue(e.getMessage().contains("larger than the 1048576 bytes"), e.getMessage());
        assertTrue(BoundedAnswer.tooLarge(e), "recognised through the client's wrapping: " + e);
        assertTrue(endlessEnded.await(20, TimeUnit.SECONDS), "the server saw the connection dropped");
        assertTrue(sentByEndless.get() < 64L * 1024 * 1024, "the agent did not read on: " + sentByEndless.get());

        mode = "normal";
        ServerClient.Answer a = client.checkIn("pma_x", HOST);
        assertEquals(200, a.status());
        assertEquals(false, a.body().get("update_available").asBoolean());
    }

    @Test
    void aTricklingAnswerIsCutAtTheDeadline() throws Exception {
        ServerClient client = client(Duration.ofSeconds(2));
        mode = "trickle";
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> client.checkIn("pma_x", HOST));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(e instanceof HttpTimeoutException || e.getCause() instanceof HttpTimeoutException
                || e.getMessage().contains("not complete within 2 s"), e.toString());
        assertTrue(seconds < 10, "cut after " + seconds + " s");
    }
}
