package io.printmaster.server.installers.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.signing.api.SigningKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedInstallersTest {
    private static final Instant NOW = Instant.parse("2026-03-04T05:06:07Z");
    private static final SigningKey KEY = new SigningKey("5555666677778888", "Ed25519", new byte[32],
            "-----BEGIN PUBLIC KEY-----\nBBB=\n-----END PUBLIC KEY-----\n", null, true, Instant.parse("2026-02-01T00:00:00Z"), null);

    @TempDir
    Path dir;
    private Path official;
    private byte[] officialBytes;
    private ConcatFormat format;
    private CachedInstallers installers;

    @BeforeEach
    void setUp() throws Exception {
        officialBytes = new byte[3000];
        new Random(42).nextBytes(officialBytes);
        official = dir.resolve("official.tar.gz");
        Files.write(official, officialBytes);
        format = new ConcatFormat();
        installers = new CachedInstallers(new InstallerCache(dir.resolve("installers"), new TestSecretBox(), 1 << 24,
                Clock.fixed(NOW, ZoneOffset.UTC)), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static FleetFilesComposer.Inputs inputs(String token) {
        return new FleetFilesComposer.Inputs("https://updates.example.com", "lab", "Lab printers", UpdatePolicy.defaults(),
                "global", null, token, new io.printmaster.server.signing.api.AgentTrust(0, KEY, null, List.of(), null));
    }

    private CachedInstallers.Target target(InstallerFormat plugin) {
        return new CachedInstallers.Target("lab", "1.2.0", "linux-amd64", plugin.type(), "a".repeat(64),
                "printmaster-agent-v1.2.0-linux-amd64.tar.gz", "io.printmaster.installer.test/1.0.0", plugin, official);
    }

    private static byte[] body(CachedInstallers.Served s) throws Exception {
        return range(s, 0, s.length());
    }

    private static byte[] range(CachedInstallers.Served s, long offset, long length) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.writer().write(offset, length, out);
        return out.toByteArray();
    }

    /** What the installer must be: the official bytes, the public files, then the token. */
    private byte[] expected(String token) {
        FleetFilesComposer.Inputs in = inputs(token);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(officialBytes);
        out.writeBytes(ConcatFormat.serialize(FleetFilesComposer.publicFiles(in, NOW)));
        out.writeBytes(ConcatFormat.serialize(FleetFilesComposer.secretFiles(in)));
        return out.toByteArray();
    }

    /** What a whole (not split) installer must be: the official bytes, then every fleet file in order. */
    private byte[] expectedWhole(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(officialBytes);
        out.writeBytes(ConcatFormat.serialize(FleetFilesComposer.compose(inputs(token), NOW)));
        return out.toByteArray();
    }

    private List<Path> cacheFiles() throws Exception {
        try (Stream<Path> s = Files.walk(dir.resolve("installers"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(new String(needle, StandardCharsets.ISO_8859_1));
    }

    private void assertNoTokenOnDisk(String... tokens) throws Exception {
        for (Path f : cacheFiles()) {
            byte[] bytes = Files.readAllBytes(f);
            assertFalse(contains(bytes, "pmj_".getBytes(StandardCharsets.US_ASCII)), f + " holds a token");
            for (String t : tokens) {
                assertFalse(contains(bytes, t.getBytes(StandardCharsets.US_ASCII)), f + " holds " + t);
            }
        }
    }

    /**
     * Two replicas on one database, each with its own cache folder and a clock of its own: the one asked second,
     * later, builds the same bytes as the first, split and whole, because generated_at comes from the first build's
     * row and not from its clock.
     */
    @Test
    void twoReplicasWithTheirOwnCacheFoldersBuildTheSameBytes() throws Exception {
        io.printmaster.store.impl.DerbyDatabase db = new io.printmaster.store.impl.DerbyDatabase(dir.resolve("db"),
                dir.resolve("derby.log"));
        try {
            CachedInstallers a = new CachedInstallers(new InstallerCache(dir.resolve("installers-a"), new TestSecretBox(),
                    1 << 24, Clock.fixed(NOW, ZoneOffset.UTC)), Clock.fixed(NOW, ZoneOffset.UTC), new InstallerBuildTimes(db));
            Instant later = NOW.plus(Duration.ofHours(5));
            CachedInstallers b = new CachedInstallers(new InstallerCache(dir.resolve("installers-b"), new TestSecretBox(),
                    1 << 24, Clock.fixed(later, ZoneOffset.UTC)), Clock.fixed(later, ZoneOffset.UTC), new InstallerBuildTimes(db));
            assertArrayEquals(body(a.get(target(format), inputs("pmj_shared"))), body(b.get(target(format), inputs("pmj_shared"))),
                    "split installers agree");
            assertArrayEquals(expected("pmj_shared"), body(b.get(target(format), inputs("pmj_shared"))),
                    "with the first build's generated_at");
            InstallerFormat whole = ConcatFormat.wholeOnly(format);
            assertArrayEquals(body(a.get(target(whole), inputs("pmj_shared"))), body(b.get(target(whole), inputs("pmj_shared"))),
                    "whole installers agree");
        } finally {
            db.close();
        }
    }

    @Test
    void twoDownloadsWithDifferentTokensShareOneBaseAndTheCacheNeverHoldsAToken() throws Exception {
        CachedInstallers.Served first = installers.get(target(format), inputs("pmj_first-token"));
        CachedInstallers.Served second = installers.get(target(format), inputs("pmj_second-token"));
        assertTrue(first.split());
        assertTrue(first.built(), "the first download builds the base");
        assertFalse(second.built(), "the second one finds it");
        assertEquals(1, format.bases.get());
        assertEquals(0, format.wholes.get(), "nothing built whole, nothing encrypted");
        assertArrayEquals(expected("pmj_first-token"), body(first));
        assertArrayEquals(expected("pmj_second-token"), body(second));
        assertEquals(expected("pmj_first-token").length, first.length());
        assertNotEquals(first.etag(), second.etag(), "another tail, another tag");
        assertEquals(first.etag(), installers.get(target(format), inputs("pmj_first-token")).etag(), "stable per token");

        // one file in the cache: the base, holding the public files but no secret, owner-only
        List<Path> files = cacheFiles();
        assertEquals(1, files.size(), files.toString());
        assertTrue(files.get(0).getFileName().toString().endsWith(InstallerCache.BASE_SUFFIX));
        assertTrue(contains(Files.readAllBytes(files.get(0)), "\"fleet_id\":\"lab\"".getBytes(StandardCharsets.UTF_8)));
        assertNoTokenOnDisk("pmj_first-token", "pmj_second-token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))));
        for (FleetFile f : format.baseFiles) {
            assertFalse(FleetFilesComposer.isSecret(f.path()), f + " went into the base");
        }
        assertEquals(List.of("etc/fleet.json", "etc/trust.json"), format.baseFiles.stream().map(FleetFile::path).toList());
    }

    @Test
    void theTagIsTheDigestOfTheBaseAndTailDigestsAndChangesWithTheBase() throws Exception {
        CachedInstallers.Served served = installers.get(target(format), inputs("pmj_t"));
        byte[] body = body(served);
        int baseLength = body.length - ConcatFormat.serialize(FleetFilesComposer.secretFiles(inputs("pmj_t"))).length;
        HexFormat hex = HexFormat.of();
        String baseSha = hex.formatHex(ChunkedEncryption.digest(Arrays.copyOf(body, baseLength)));
        String tailSha = hex.formatHex(ChunkedEncryption.digest(Arrays.copyOfRange(body, baseLength, body.length)));
        assertEquals("\"" + hex.formatHex(ChunkedEncryption.digest((baseSha + ":" + tailSha).getBytes(StandardCharsets.US_ASCII))) + "\"",
                served.etag());
        // another server URL: another base, another tag
        FleetFilesComposer.Inputs moved = new FleetFilesComposer.Inputs("https://elsewhere.example.com", "lab", "Lab printers",
                UpdatePolicy.defaults(), "global", null, "pmj_t", new io.printmaster.server.signing.api.AgentTrust(0, KEY, null, List.of(), null));
        CachedInstallers.Served other = installers.get(target(format), moved);
        assertTrue(other.built());
        assertNotEquals(served.etag(), other.etag());
        assertEquals(1, cacheFiles().size(), "the out-of-date base is gone");
    }

    @Test
    void concurrentFirstDownloadsBuildTheBaseOnce() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        format.holdBases = hold;
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Thread> workers = new ArrayList<>();
        try {
            List<Future<CachedInstallers.Served>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String token = "pmj_token-" + i;
                results.add(pool.submit(() -> {
                    synchronized (workers) {
                        workers.add(Thread.currentThread());
                    }
                    return installers.get(target(format), inputs(token));
                }));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                synchronized (workers) {
                    return workers.size() == threads && workers.stream().allMatch(t -> t.getState() == Thread.State.WAITING
                            || t.getState() == Thread.State.TIMED_WAITING);
                }
            });
            hold.countDown();
            Set<String> tags = new HashSet<>();
            for (int i = 0; i < threads; i++) {
                CachedInstallers.Served s = results.get(i).get(30, TimeUnit.SECONDS);
                assertArrayEquals(expected("pmj_token-" + i), body(s));
                tags.add(s.etag());
            }
            assertEquals(threads, tags.size());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, format.bases.get(), "built once");
        assertEquals(1, cacheFiles().size());
        assertNoTokenOnDisk();
    }

    @Test
    void everyRangeGivesExactlyItsBytesAcrossTheBaseAndTheTail() throws Exception {
        Files.write(official, Arrays.copyOf(officialBytes, 50)); // small, so that every range can be tried
        officialBytes = Arrays.copyOf(officialBytes, 50);
        CachedInstallers.Served served = installers.get(target(format), inputs("pmj_range"));
        byte[] whole = expected("pmj_range");
        assertArrayEquals(whole, body(served));
        int total = whole.length;
        for (int offset = 0; offset <= total; offset++) {
            for (int length = 0; offset + length <= total; length++) {
                assertArrayEquals(Arrays.copyOfRange(whole, offset, offset + length), range(served, offset, length),
                        "bytes " + offset + "+" + length);
            }
        }
        assertThrows(java.io.IOException.class, () -> range(served, total - 1, 2));
        assertThrows(java.io.IOException.class, () -> range(served, -1, 1));
    }

    @Test
    void rangesOfALargeBaseAcrossItsCopyBuffersAndTheTail() throws Exception {
        officialBytes = new byte[InstallerCache.COPY_BUFFER_BYTES * 2 + 12345];
        new Random(7).nextBytes(officialBytes);
        Files.write(official, officialBytes);
        CachedInstallers.Served served = installers.get(target(format), inputs("pmj_large"));
        byte[] whole = expected("pmj_large");
        assertArrayEquals(whole, body(served));
        long baseLength = whole.length - ConcatFormat.serialize(FleetFilesComposer.secretFiles(inputs("pmj_large"))).length;
        int buffer = InstallerCache.COPY_BUFFER_BYTES;
        long[][] ranges = {{buffer - 1, 2}, {buffer - 10, buffer + 20}, {1, whole.length - 1}, {baseLength - 1, 2},
                {baseLength - buffer - 3, buffer + 5}, {baseLength, whole.length - baseLength}, {whole.length - 1, 1}};
        for (long[] r : ranges) {
            assertArrayEquals(Arrays.copyOfRange(whole, (int) r[0], (int) (r[0] + r[1])), range(served, r[0], r[1]),
                    "bytes " + r[0] + "+" + r[1]);
        }
    }

    @Test
    void aFormatThatCannotAppendGoesThroughTheEncryptedCache() throws Exception {
        InstallerFormat msi = ConcatFormat.wholeOnly(format);
        CachedInstallers.Served first = installers.get(target(msi), inputs("pmj_msi-token"));
        assertFalse(first.split());
        assertTrue(first.built());
        byte[] body = body(first);
        assertArrayEquals(expectedWhole("pmj_msi-token"), body);
        assertEquals("\"" + HexFormat.of().formatHex(ChunkedEncryption.digest(body)) + "\"", first.etag(),
                "a whole installer's tag is the SHA-256 of its bytes");
        assertFalse(installers.get(target(msi), inputs("pmj_msi-token")).built());
        List<Path> files = cacheFiles();
        assertEquals(1, files.size());
        assertTrue(files.get(0).getFileName().toString().endsWith(InstallerCache.SUFFIX));
        assertNoTokenOnDisk("pmj_msi-token");
        assertEquals(0, format.bases.get());
    }

    @Test
    void whenTheFormatRefusesToSplitTheInstallerIsBuiltWholeAndEncrypted() throws Exception {
        format.refuseSplit = true;
        CachedInstallers.Served first = installers.get(target(format), inputs("pmj_refused"));
        assertFalse(first.split());
        assertArrayEquals(expectedWhole("pmj_refused"), body(first));
        CachedInstallers.Served second = installers.get(target(format), inputs("pmj_refused"));
        assertFalse(second.built());
        assertEquals(1, format.wholes.get());
        List<Path> files = cacheFiles();
        assertEquals(1, files.size(), "no base, no temporary file: " + files);
        assertTrue(files.get(0).getFileName().toString().endsWith(InstallerCache.SUFFIX));
        assertNoTokenOnDisk("pmj_refused");
        // the refusal is remembered: the format is not asked to split this artifact again
        format.refuseSplit = false;
        installers.get(target(format), inputs("pmj_refused"));
        assertEquals(0, format.bases.get());
    }

    @Test
    void whenTheFormatRefusesATailTheInstallerIsBuiltWholeAndEncrypted() throws Exception {
        format.refuseTail = true;
        CachedInstallers.Served served = installers.get(target(format), inputs("pmj_tail"));
        assertFalse(served.split());
        assertArrayEquals(expectedWhole("pmj_tail"), body(served));
        assertNoTokenOnDisk("pmj_tail");
    }

    @Test
    void aRefusedArtifactIsAnErrorAndCachesNothing() throws Exception {
        format.refuseAll = true;
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> installers.get(target(format), inputs("pmj_bad")));
        assertTrue(e.getMessage().contains("../evil"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void theFleetFilesSplitIntoPublicAndSecret() {
        FleetFilesComposer.Inputs in = inputs("pmj_x");
        FleetFiles all = FleetFilesComposer.compose(in, NOW);
        assertEquals(List.of("etc/join-token"), FleetFilesComposer.secretFiles(in).paths());
        assertEquals(all.files().stream().filter(f -> !f.path().equals("etc/join-token")).toList(),
                FleetFilesComposer.publicFiles(in, NOW).files());
        assertEquals(FleetFilesComposer.publicConfigurationHash(in), FleetFilesComposer.publicConfigurationHash(inputs("pmj_y")),
                "the token is not part of a base's key");
        assertNotEquals(FleetFilesComposer.configurationHash(in), FleetFilesComposer.configurationHash(inputs("pmj_y")));
    }
}
