package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.Checksum;
import io.printmaster.server.releases.api.RejectReason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content-addressed cache on real files: what enters it, what never does, and how downloads resume. */
class ArtifactCacheTest {
    @TempDir
    Path dir;
    ArtifactCache cache;

    static final byte[] CONTENT = bytes(3 * ArtifactCache.BUFFER_BYTES + 12345, 7);
    static final Checksum SHA = sha(CONTENT);

    @BeforeEach
    void open() throws IOException {
        cache = new ArtifactCache(dir.resolve("artifacts"));
    }

    @AfterEach
    void close() {
        cache.close();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Checksum sha(byte[] b) {
        return Checksum.sha256(ArtifactCache.sha256().digest(b));
    }

    /** Every file under the cache folder, temporary ones included. */
    private List<Path> filesInCache() throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("artifacts"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void verifiedBytesLandUnderTheirHashAndNothingElseRemains() throws Exception {
        ArtifactCache.Stored stored = cache.store(new ByteArrayInputStream(CONTENT), SHA, 1L << 30);

        Path expected = dir.resolve("artifacts/sha256").resolve(SHA.hex().substring(0, 2)).resolve(SHA.hex());
        assertEquals(expected, stored.file());
        assertArrayEquals(CONTENT, Files.readAllBytes(expected));
        assertEquals(CONTENT.length, stored.sizeBytes());
        assertFalse(stored.alreadyCached());
        assertEquals(List.of(expected), filesInCache(), "no temporary file is left behind");
        assertEquals(Optional.of(expected), cache.file(SHA.hex()));
    }

    @Test
    void contentAlreadyCachedIsNotDownloadedAgain() throws Exception {
        cache.store(new ByteArrayInputStream(CONTENT), SHA, 1L << 30);
        AtomicInteger opened = new AtomicInteger();
        ArtifactCache.Stored again = cache.store(() -> {
            opened.incrementAndGet();
            return new ByteArrayInputStream(CONTENT);
        }, SHA, OptionalLong.empty(), "key", ArtifactCache.Limits.size(1L << 30), ArtifactCache.Progress.NONE);
        assertTrue(again.alreadyCached());
        assertEquals(0, opened.get());
    }

    @Test
    void tamperedBytesAreRejectedAndNothingIsKept() throws Exception {
        byte[] tampered = CONTENT.clone();
        tampered[tampered.length / 2] ^= 1;
        IntakeException e = assertThrows(IntakeException.class,
                () -> cache.store(new ByteArrayInputStream(tampered), SHA, 1L << 30));
        assertEquals(RejectReason.HASH_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains(SHA.hex()) && e.getMessage().contains(sha(tampered).hex()), e.getMessage());
        assertEquals(List.of(), filesInCache());
        assertTrue(cache.file(SHA.hex()).isEmpty());
    }

    @Test
    void aStreamBeyondTheLimitIsAbortedWhileStreaming() throws Exception {
        // an endless stream: only the limit can stop it
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }
        };
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(endless, SHA, 5_000_000));
        assertEquals(RejectReason.SIZE_LIMIT, e.reason());
        assertEquals(List.of(), filesInCache());
    }

    @Test
    void anAnnouncedSizeBeyondTheLimitIsRefusedBeforeAnyByte() {
        AtomicInteger opened = new AtomicInteger();
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(() -> {
            opened.incrementAndGet();
            return new ByteArrayInputStream(CONTENT);
        }, SHA, OptionalLong.of(CONTENT.length), "k", ArtifactCache.Limits.size(1000), ArtifactCache.Progress.NONE));
        assertEquals(RejectReason.SIZE_LIMIT, e.reason());
        assertEquals(0, opened.get());
    }

    @Test
    void withoutAnUpstreamChecksumNothingIsDownloaded() {
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(() -> {
            throw new AssertionError("must not open");
        }, null, OptionalLong.empty(), "k", ArtifactCache.Limits.size(1000), ArtifactCache.Progress.NONE));
        assertEquals(RejectReason.NO_UPSTREAM_CHECKSUM, e.reason());
    }

    /** A source whose first stream breaks off after {@code cut} bytes; it can resume at an offset when asked. */
    private static class FlakySource implements ArtifactCache.Download {
        final int cut;
        final boolean canResume;
        final AtomicInteger fullOpens = new AtomicInteger();
        final AtomicInteger resumedAt = new AtomicInteger(-1);

        FlakySource(int cut, boolean canResume) {
            this.cut = cut;
            this.canResume = canResume;
        }

        @Override
        public InputStream open() {
            if (fullOpens.getAndIncrement() == 0) {
                return new ByteArrayInputStream(CONTENT, 0, cut); // ends early
            }
            return new ByteArrayInputStream(CONTENT);
        }

        @Override
        public Optional<InputStream> openFrom(long offset) {
            if (!canResume) {
                return Optional.empty();
            }
            resumedAt.set((int) offset);
            return Optional.of(new ByteArrayInputStream(CONTENT, (int) offset, CONTENT.length - (int) offset));
        }
    }

    @Test
    void aTruncatedDownloadKeepsItsPartialBytesAndResumesFromThem() throws Exception {
        FlakySource source = new FlakySource(2 * ArtifactCache.BUFFER_BYTES + 17, true);
        OptionalLong size = OptionalLong.of(CONTENT.length);
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(source, SHA, size, "github\nhttps://x/a.zip",
                ArtifactCache.Limits.size(1L << 30), ArtifactCache.Progress.NONE));
        assertEquals(RejectReason.TRUNCATED, e.reason());
        assertTrue(cache.file(SHA.hex()).isEmpty(), "nothing enters the cache");
        List<Path> partial = filesInCache();
        assertEquals(1, partial.size());
        assertTrue(partial.get(0).getFileName().toString().endsWith(".partial"), partial.toString());
        assertEquals(source.cut, Files.size(partial.get(0)));

        ArtifactCache.Stored stored = cache.store(source, SHA, size, "github\nhttps://x/a.zip",
                ArtifactCache.Limits.size(1L << 30), ArtifactCache.Progress.NONE);
        assertEquals(source.cut, stored.resumedFrom());
        assertEquals(source.cut, source.resumedAt.get(), "the source was asked for the rest only");
        assertEquals(1, source.fullOpens.get());
        assertArrayEquals(CONTENT, Files.readAllBytes(stored.file()));
        assertEquals(List.of(stored.file()), filesInCache());
    }

    @Test
    void aSourceThatCannotResumeDownloadsAgainFromTheStart() throws Exception {
        FlakySource source = new FlakySource(1000, false);
        OptionalLong size = OptionalLong.of(CONTENT.length);
        assertThrows(IntakeException.class, () -> cache.store(source, SHA, size, "k", ArtifactCache.Limits.size(1L << 30),
                ArtifactCache.Progress.NONE));
        ArtifactCache.Stored stored = cache.store(source, SHA, size, "k", ArtifactCache.Limits.size(1L << 30),
                ArtifactCache.Progress.NONE);
        assertEquals(0, stored.resumedFrom());
        assertEquals(2, source.fullOpens.get());
        assertArrayEquals(CONTENT, Files.readAllBytes(stored.file()));
    }

    @Test
    void aWrongResumeIsCaughtByTheHashAndTheBadPartialIsDropped() throws Exception {
        FlakySource wrong = new FlakySource(5000, true) {
            @Override
            public Optional<InputStream> openFrom(long offset) {
                // a broken server that ignores the range and sends everything again
                return Optional.of(new ByteArrayInputStream(CONTENT));
            }
        };
        OptionalLong size = OptionalLong.of(CONTENT.length);
        // the first attempt breaks off and leaves a partial behind
        assertThrows(IntakeException.class, () -> cache.store(wrong, SHA, size, "k2",
                ArtifactCache.Limits.size(1L << 30), ArtifactCache.Progress.NONE));
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(wrong, SHA, size, "k2",
                ArtifactCache.Limits.size(1L << 30), ArtifactCache.Progress.NONE));
        assertEquals(RejectReason.HASH_MISMATCH, e.reason());
        assertTrue(filesInCache().stream().noneMatch(p -> p.toString().contains(".partial")), "a partial that proved wrong is deleted");
    }

    @Test
    void aTricklingSourceIsCutOffByTheMinimumRateLongBeforeTheTotalTimeout() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        ArtifactCache.Download trickles = () -> new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    never.await(20, java.util.concurrent.TimeUnit.MILLISECONDS); // the source's pace: ~50 bytes/s
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException("interrupted");
                }
                if (pos >= CONTENT.length) {
                    return -1;
                }
                b[off] = CONTENT[pos++];
                return 1;
            }
        };
        long start = System.nanoTime();
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(trickles, SHA,
                OptionalLong.of(CONTENT.length), "slow", new ArtifactCache.Limits(1L << 30, Duration.ofSeconds(5),
                        Duration.ofMinutes(10), 1000, Duration.ofMillis(300)), ArtifactCache.Progress.NONE));
        assertEquals(RejectReason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("too slow") && e.getMessage().contains("1000 bytes/s"), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5_000, "cut off long before 10 min");
        assertFalse(Thread.currentThread().isInterrupted(), "the caller's thread is not left interrupted");
    }

    @Test
    void aStalledStreamTimesOutAndKeepsWhatArrivedForNextTime() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        byte[] head = new byte[4096];
        System.arraycopy(CONTENT, 0, head, 0, head.length);
        ArtifactCache.Download stalls = () -> new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos < head.length) {
                    int n = Math.min(len, head.length - pos);
                    System.arraycopy(head, pos, b, off, n);
                    pos += n;
                    return n;
                }
                try {
                    released.await(); // a server that stops sending: only the watchdog ends this
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException("interrupted");
                }
                throw new IOException("closed");
            }
        };
        long start = System.nanoTime();
        IntakeException e = assertThrows(IntakeException.class, () -> cache.store(stalls, SHA, OptionalLong.of(CONTENT.length),
                "k", new ArtifactCache.Limits(1L << 30, Duration.ofMillis(300), Duration.ofMinutes(1)), ArtifactCache.Progress.NONE));
        released.countDown();
        assertEquals(RejectReason.TIMEOUT, e.reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 10_000);
        assertFalse(Thread.currentThread().isInterrupted(), "the caller's thread is not left interrupted");
        List<Path> left = filesInCache();
        assertEquals(1, left.size());
        assertEquals(head.length, Files.size(left.get(0)), "the bytes received are kept to resume");
    }
}
