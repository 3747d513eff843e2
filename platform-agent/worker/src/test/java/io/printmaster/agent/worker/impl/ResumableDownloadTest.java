package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.printmaster.core.retry.Backoff;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The download against a local HTTP server that misbehaves on purpose, in the ways real networks and hostile
 * mirrors do: connections cut halfway, stalls, endless data, wrong bytes, refusals.
 */
class ResumableDownloadTest {
    private static final byte[] ARTIFACT = new byte[300_000];

    static {
        new Random(7).nextBytes(ARTIFACT);
    }

    /** How the server answers the n-th request (0-based). */
    @FunctionalInterface
    interface Behaviour {
        void answer(int request, HttpExchange exchange) throws IOException, InterruptedException;
    }

    @TempDir
    Path dir;

    private HttpServer server;
    private volatile Behaviour behaviour;
    private final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/artifact", exchange -> {
            int n;
            synchronized (ranges) {
                ranges.add(String.valueOf(exchange.getRequestHeaders().getFirst("Range")));
                n = ranges.size() - 1;
            }
            try {
                behaviour.answer(n, exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        server.stop(0);
    }

    @Test
    void aCompleteDownloadIsVerifiedAndMovedIntoPlace() throws Exception {
        behaviour = (n, ex) -> serve(ex, 0, ARTIFACT.length);
        Path target = download(manifestOf(ARTIFACT), 3, Duration.ofSeconds(5));
        assertArrayEquals(ARTIFACT, Files.readAllBytes(target));
        assertFalse(Files.exists(ResumableDownload.partialOf(target)));
    }

    @Test
    void aCutConnectionResumesWhereItStoppedWithRange() throws Exception {
        behaviour = (n, ex) -> {
            if (n == 0) {
                cutAfter(ex, 120_000);
            } else {
                serveRange(ex);
            }
        };
        Path target = download(manifestOf(ARTIFACT), 3, Duration.ofSeconds(5));
        assertArrayEquals(ARTIFACT, Files.readAllBytes(target));
        // what the client holds when the connection drops is what reached it (at most the 120000 bytes sent: a
        // reset may discard some in flight), and the second attempt asks for exactly the rest
        String resumedAt = ranges.get(1);
        assertTrue(resumedAt.matches("bytes=\\d+-"), resumedAt);
        long offset = Long.parseLong(resumedAt.substring(6, resumedAt.length() - 1));
        assertTrue(offset > 0 && offset <= 120_000, "the second attempt resumed from the partial file: " + resumedAt);
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws Exception {
        Path target = dir.resolve("agent.tar.gz");
        Files.write(ResumableDownload.partialOf(target), java.util.Arrays.copyOf(ARTIFACT, 200_000));
        behaviour = (n, ex) -> serveRange(ex);
        download(target, manifestOf(ARTIFACT), 3, Duration.ofSeconds(5));
        assertArrayEquals(ARTIFACT, Files.readAllBytes(target));
        assertEquals(List.of("bytes=200000-"), ranges);
    }

    @Test
    void aStalledTransferIsAbandonedAndResumed() throws Exception {
        behaviour = (n, ex) -> {
            if (n == 0) {
                ex.sendResponseHeaders(200, ARTIFACT.length);
                ex.getResponseBody().write(ARTIFACT, 0, 50_000);
                ex.getResponseBody().flush();
                release.await(30, TimeUnit.SECONDS); // then nothing: a slow-retrieval attack
            } else {
                serveRange(ex);
            }
        };
        Path target = download(manifestOf(ARTIFACT), 3, Duration.ofMillis(400));
        assertArrayEquals(ARTIFACT, Files.readAllBytes(target));
        assertTrue(ranges.get(1).startsWith("bytes="), "resumed after the stall: " + ranges);
    }

    @Test
    void aTricklingServerIsCutOffAtTheDeadlineDerivedFromTheSizeAndThePartialFileKept() throws Exception {
        behaviour = (n, ex) -> {
            ex.sendResponseHeaders(200, ARTIFACT.length);
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 600; i++) { // never a stall: a byte every 50 ms, 20 bytes/s
                out.write(ARTIFACT, i, 1);
                out.flush();
                if (release.await(50, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        };
        Path target = dir.resolve("agent.tar.gz");
        // 300 000 bytes at 100 000 bytes/s after 1 s: the deadline is 4 s
        ResumableDownload download = new ResumableDownload(HttpClient.newHttpClient(),
                Backoff.of(Duration.ofMillis(1), Duration.ofMillis(1), 5), Duration.ofSeconds(5), delay -> { },
                new DownloadPace(100_000, Duration.ofSeconds(1)));
        long start = System.nanoTime();
        UpdateFailure e = assertThrows(UpdateFailure.class, () -> download.download(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/artifact"), Map.of(), target,
                manifestOf(ARTIFACT), (received, total) -> { }, () -> false));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("DOWNLOAD_FAILED", e.code());
        assertTrue(e.getMessage().contains("too slow") && e.getMessage().contains("100000 bytes/s"), e.getMessage());
        assertTrue(millis >= 1000 && millis < 4000, "cut off between the grace and the deadline: " + millis + " ms");
        assertFalse(Files.exists(target));
        assertTrue(Files.size(ResumableDownload.partialOf(target)) > 0, "kept for the next run");
        assertEquals(1, ranges.size(), "not retried in this run: " + ranges);
        assertEquals(4, new DownloadPace(100_000, Duration.ofSeconds(1)).deadlineFor(300_000).toSeconds());
    }

    @Test
    void endlessDataIsCutAtTheManifestSizeAndRefused() throws Exception {
        behaviour = (n, ex) -> {
            ex.sendResponseHeaders(200, 0); // chunked, no end announced
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 20; i++) {
                out.write(ARTIFACT, 0, 50_000);
            }
        };
        Path target = dir.resolve("agent.tar.gz");
        UpdateFailure e = assertThrows(UpdateFailure.class,
                () -> download(target, manifestOf(ARTIFACT), 3, Duration.ofSeconds(5)));
        assertEquals("DOWNLOAD_FAILED", e.code());
        assertTrue(e.getMessage().contains("more than the manifest's 300000 bytes"), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(ResumableDownload.partialOf(target)));
        assertEquals(1, ranges.size(), "not retried");
    }

    @Test
    void wrongBytesOfTheRightSizeAreAHashMismatchAndLeaveNothing() throws Exception {
        byte[] other = ARTIFACT.clone();
        other[1000] ^= 1;
        behaviour = (n, ex) -> {
            ex.sendResponseHeaders(200, other.length);
            ex.getResponseBody().write(other);
        };
        Path target = dir.resolve("agent.tar.gz");
        UpdateFailure e = assertThrows(UpdateFailure.class,
                () -> download(target, manifestOf(ARTIFACT), 3, Duration.ofSeconds(5)));
        assertEquals("HASH_MISMATCH", e.code());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(ResumableDownload.partialOf(target)));
    }

    @Test
    void aRefusalIsNotRetriedAndServerErrorsAreRetriedUpToTheLimit() throws Exception {
        behaviour = (n, ex) -> ex.sendResponseHeaders(404, -1);
        UpdateFailure notFound = assertThrows(UpdateFailure.class,
                () -> download(manifestOf(ARTIFACT), 3, Duration.ofSeconds(5)));
        assertEquals("DOWNLOAD_FAILED", notFound.code());
        assertTrue(notFound.getMessage().contains("HTTP 404"), notFound.getMessage());
        assertEquals(1, ranges.size());

        ranges.clear();
        behaviour = (n, ex) -> ex.sendResponseHeaders(503, -1);
        UpdateFailure unavailable = assertThrows(UpdateFailure.class,
                () -> download(manifestOf(ARTIFACT), 3, Duration.ofSeconds(5)));
        assertEquals("DOWNLOAD_FAILED", unavailable.code());
        assertTrue(unavailable.getMessage().contains("failed 3 times"), unavailable.getMessage());
        assertEquals(3, ranges.size());
    }

    private Path download(VerifiedManifest manifest, int attempts, Duration stall) throws Exception {
        return download(dir.resolve("agent.tar.gz"), manifest, attempts, stall);
    }

    private Path download(Path target, VerifiedManifest manifest, int attempts, Duration stall) throws Exception {
        ResumableDownload download = new ResumableDownload(HttpClient.newHttpClient(),
                Backoff.of(Duration.ofMillis(1), Duration.ofMillis(1), attempts), stall, delay -> { });
        return download.download(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/artifact"),
                Map.of("Authorization", "Bearer pma_test"), target, manifest, (received, total) -> { }, () -> false);
    }

    private static VerifiedManifest manifestOf(byte[] bytes) throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        return new VerifiedManifest("agent", "1.2.0", "linux", "amd64", "tar.gz", sha, bytes.length, 3, "k",
                Instant.now().plusSeconds(3600));
    }

    private static void serve(HttpExchange ex, int from, int to) throws IOException {
        ex.sendResponseHeaders(200, to - from);
        ex.getResponseBody().write(ARTIFACT, from, to - from);
    }

    private static void serveRange(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range == null) {
            serve(ex, 0, ARTIFACT.length);
            return;
        }
        int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
        ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (ARTIFACT.length - 1) + "/" + ARTIFACT.length);
        ex.sendResponseHeaders(206, ARTIFACT.length - from);
        ex.getResponseBody().write(ARTIFACT, from, ARTIFACT.length - from);
    }

    /** Announces the whole file, sends part of it, and drops the connection. */
    private static void cutAfter(HttpExchange ex, int bytes) throws IOException {
        ex.sendResponseHeaders(200, ARTIFACT.length);
        ex.getResponseBody().write(ARTIFACT, 0, bytes);
        ex.getResponseBody().flush();
        ex.getHttpContext().getServer(); // keep the exchange referenced until closed below
        ex.close(); // the client sees the stream end early
    }
}
