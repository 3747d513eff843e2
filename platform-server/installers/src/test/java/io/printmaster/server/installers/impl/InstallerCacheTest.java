package io.printmaster.server.installers.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.InstallerFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallerCacheTest {
    @TempDir
    Path dir;

    /** A clock the test moves, so "least recently used" is exact. */
    private static final class StepClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance() {
            now = now.plusSeconds(10);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static InstallerCache.Key key(String fleet, String config) {
        return new InstallerCache.Key(fleet, "1.2.0", "linux-amd64", "tar.gz", "a".repeat(64), "io.printmaster.installer.tar/1.0.0", config);
    }

    private static InstallerCache.Builder writes(String text) {
        return target -> Files.writeString(target, text);
    }

    private static String content(InstallerCache.Entry e) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        e.reader().copy(0, e.length(), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void concurrentFirstRequestsBuildOnceAndGetTheSameInstaller() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        AtomicInteger builds = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Thread> workers = new ArrayList<>();
        try {
            List<Future<InstallerCache.Entry>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    synchronized (workers) {
                        workers.add(Thread.currentThread());
                    }
                    return cache.get(key("lab", "c1"), target -> {
                        builds.incrementAndGet();
                        assertTrue(release.await(30, TimeUnit.SECONDS));
                        Files.writeString(target, "installer pmj_secret-token");
                    });
                }));
            }
            // every worker has arrived, one builds, the others wait for its result
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                synchronized (workers) {
                    return workers.size() == threads && workers.stream().allMatch(t -> t.getState() == Thread.State.WAITING
                            || t.getState() == Thread.State.TIMED_WAITING);
                }
            });
            release.countDown();
            java.util.Set<Path> served = new java.util.HashSet<>();
            for (Future<InstallerCache.Entry> f : results) {
                InstallerCache.Entry e = f.get(30, TimeUnit.SECONDS);
                assertEquals("installer pmj_secret-token", content(e));
                served.add(e.file());
            }
            assertEquals(1, builds.get(), "built once");
            assertEquals(1, served.size(), "everyone got the one built file");
        } finally {
            pool.shutdownNow();
        }
        // the cache holds one encrypted file, without the token in clear, and no temporary file
        List<Path> all = files(dir.resolve("installers"));
        assertEquals(1, all.size(), all.toString());
        assertFalse(new String(Files.readAllBytes(all.get(0)), StandardCharsets.ISO_8859_1).contains("pmj_"));
        // the next request is a hit
        InstallerCache.Entry again = cache.get(key("lab", "c1"), t -> { throw new AssertionError("must not build"); });
        assertFalse(again.built());
    }

    @Test
    void aFailedBuildCachesNothingAndTheNextRequestBuildsAgain() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerFormatException failure = assertThrows(InstallerFormatException.class, () -> cache.get(key("lab", "c1"), target -> {
            Files.writeString(target, "half an installer with pmj_token");
            throw new InstallerFormatException("entry '../evil' escapes the archive");
        }));
        assertEquals("entry '../evil' escapes the archive", failure.getMessage());
        assertEquals(List.of(), files(dir.resolve("installers")), "nothing cached, no temporary file left");
        InstallerCache.Entry e = cache.get(key("lab", "c1"), writes("good"));
        assertTrue(e.built());
        assertEquals("good", content(e));
    }

    @Test
    void anEntryOfAnOlderKeyIsDeletedWhenItsSlotIsUsedAgain() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerCache.Entry old = cache.get(key("lab", "token-1"), writes("old"));
        InstallerCache.Entry other = cache.get(key("office", "token-1"), writes("office"));
        InstallerCache.Entry fresh = cache.get(key("lab", "token-2"), writes("new"));
        assertFalse(Files.exists(old.file()), "the installer with the revoked token is gone");
        assertTrue(Files.exists(other.file()), "another fleet's installer stays");
        assertTrue(Files.exists(fresh.file()));
        assertEquals("new", content(fresh));
    }

    @Test
    void theLeastRecentlyUsedGoFirstWhenTheCacheIsFull() throws Exception {
        StepClock clock = new StepClock();
        String kb = "x".repeat(1000);
        // room for two encrypted 1000-byte installers, not three
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 2600, clock);
        InstallerCache.Entry a = cache.get(key("a", "c"), writes(kb));
        clock.advance();
        InstallerCache.Entry b = cache.get(key("b", "c"), writes(kb));
        clock.advance();
        assertSame(false, cache.get(key("a", "c"), writes("unused")).built(), "a is used again");
        clock.advance();
        InstallerCache.Entry c = cache.get(key("c", "c"), writes(kb));
        assertTrue(Files.exists(a.file()), "recently used");
        assertFalse(Files.exists(b.file()), "least recently used: evicted");
        assertTrue(Files.exists(c.file()), "just built");
        // one installer larger than the whole cache is still served (and kept until the next build)
        clock.advance();
        InstallerCache.Entry big = cache.get(key("d", "c"), writes("y".repeat(5000)));
        assertEquals(5000, big.length());
        assertTrue(Files.exists(big.file()));
    }

    @Test
    void aDamagedCachedFileIsBuiltAgain() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerCache.Entry first = cache.get(key("lab", "c"), writes("one"));
        Files.write(first.file(), "garbage".getBytes(StandardCharsets.US_ASCII));
        InstallerCache.Entry second = cache.get(key("lab", "c"), writes("two"));
        assertTrue(second.built());
        assertEquals("two", content(second));
    }

    private static InstallerCache.BaseBuilder base(String text, String state) {
        return target -> {
            Files.writeString(target, text);
            return state.getBytes(StandardCharsets.US_ASCII);
        };
    }

    private static String content(InstallerCache.Base b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b.copy(0, b.length(), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aBaseIsKeptWithItsStateAndFoundAgain() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerCache.Base built = cache.getBase(key("lab", "public-1"), base("official+public", "state-1"));
        assertTrue(built.built());
        InstallerCache.Base found = cache.getBase(key("lab", "public-1"), t -> { throw new AssertionError("must not build"); });
        assertFalse(found.built());
        assertEquals("official+public", content(found));
        assertEquals("state-1", new String(found.state(), StandardCharsets.US_ASCII));
        assertEquals(built.sha256(), found.sha256());
        assertEquals(java.util.HexFormat.of().formatHex(ChunkedEncryption.digest("official+public".getBytes(StandardCharsets.UTF_8))),
                found.sha256());
        assertThrows(java.io.IOException.class, () -> found.copy(10, 6, new ByteArrayOutputStream()), "past the base, into the state");
    }

    @Test
    void aDamagedOrCutBaseIsBuiltAgain() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerCache.Base first = cache.getBase(key("lab", "p"), base("one", "s"));
        byte[] bytes = Files.readAllBytes(first.file());
        Files.write(first.file(), java.util.Arrays.copyOf(bytes, bytes.length - 1)); // a crash cut it short
        InstallerCache.Base second = cache.getBase(key("lab", "p"), base("two", "s"));
        assertTrue(second.built());
        assertEquals("two", content(second));
        Files.writeString(second.file(), "garbage");
        assertEquals("three", content(cache.getBase(key("lab", "p"), base("three", "s"))));
    }

    @Test
    void aFailedBaseBuildCachesNothingAndABaseReplacesTheSlotsOtherEntries() throws Exception {
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 20, Clock.systemUTC());
        InstallerCache.Entry whole = cache.get(key("lab", "all-files"), writes("whole with pmj_token"));
        assertThrows(InstallerFormatException.class, () -> cache.getBase(key("lab", "public"), target -> {
            Files.writeString(target, "half a base");
            throw new InstallerFormatException("cannot be split");
        }));
        assertEquals(List.of(whole.file()), files(dir.resolve("installers")), "a failed base build deletes nothing");
        InstallerCache.Base base = cache.getBase(key("lab", "public"), base("base", "s"));
        assertEquals(List.of(base.file()), files(dir.resolve("installers")), "the whole installer of the slot is out of date");
    }

    @Test
    void basesCountTowardsTheLimitAndLeaveLeastRecentlyUsedFirst() throws Exception {
        StepClock clock = new StepClock();
        String kb = "x".repeat(1000);
        InstallerCache cache = new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 2300, clock);
        InstallerCache.Base a = cache.getBase(key("a", "c"), base(kb, "s"));
        clock.advance();
        InstallerCache.Entry b = cache.get(key("b", "c"), writes(kb));
        clock.advance();
        InstallerCache.Base c = cache.getBase(key("c", "c"), base(kb, "s"));
        assertFalse(Files.exists(a.file()), "least recently used: evicted");
        assertTrue(Files.exists(b.file()));
        assertTrue(Files.exists(c.file()));
    }
}
