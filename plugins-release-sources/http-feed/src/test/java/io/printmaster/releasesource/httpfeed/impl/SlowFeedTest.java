package io.printmaster.releasesource.httpfeed.impl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.printmaster.api.release.ReleaseSourceException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A feed server that sends a byte now and then (slow retrieval) is cut off; the sync does not wait for it. */
class SlowFeedTest {
    private final CountDownLatch done = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void stop() {
        done.countDown();
        server.stop(0);
    }

    @Test
    void aTricklingFeedIsCutOffNamingTheFeed() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/feed.json", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write('{');
                for (int i = 0; i < 600 && !done.await(100, TimeUnit.MILLISECONDS); i++) {
                    out.write(' '); // 10 bytes/s, never a stall
                    out.flush();
                }
            } catch (IOException | InterruptedException dropped) {
                // the source hung up
            }
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/feed.json";
        HttpFeedReleaseSource source = new HttpFeedReleaseSource("Slow mirror", URI.create(url));
        source.pace(1000, Duration.ofMillis(500));
        long start = System.nanoTime();
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().startsWith("feed " + url + " is too slow"), e.getMessage());
        assertTrue(e.getMessage().contains("1000 bytes/s"), e.getMessage());
        assertTrue(millis < 5000, "cut off after " + millis + " ms");
    }
}
