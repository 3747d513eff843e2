package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.releases.impl.InMemoryReleaseSource.Asset;
import io.printmaster.server.releases.impl.IntakeRun.SourceRef;
import io.printmaster.server.releases.impl.SyncHistory.IntakeEvent;
import io.printmaster.server.releases.impl.ReleaseStore.ManifestEntry;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole sync on a real Derby, real files and real Ed25519 signatures: what is cached, what is rejected and why,
 * release counters, manifests, retention.
 */
class IntakeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    JdkEd25519Keys keys;
    ManifestService manifests;
    final Clock clock = Clock.fixed(Instant.parse("2026-11-26T12:00:00.456Z"), ZoneOffset.UTC);
    int syncs;

    static final byte[] LINUX_100 = ArtifactCacheTest.bytes(200_000, 1);
    static final byte[] WIN_100_MSI = ArtifactCacheTest.bytes(150_000, 2);
    static final byte[] WIN_100_ZIP = ArtifactCacheTest.bytes(120_000, 3);
    static final byte[] LINUX_110_ZIP = ArtifactCacheTest.bytes(210_000, 4);
    static final byte[] LINUX_110_TGZ = ArtifactCacheTest.bytes(190_000, 5);

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        keys = new JdkEd25519Keys();
        manifests = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7), clock, false);
    }

    @AfterEach
    void close() {
        manifests.stop();
        cache.close();
        db.close();
    }

    private InMemoryReleaseSource twoReleases() {
        return new InMemoryReleaseSource()
                .release("agent", "1.0.0", "First release",
                        Asset.of("linux-amd64", "zip", LINUX_100),
                        Asset.of("windows-amd64", "msi", WIN_100_MSI),
                        Asset.tampered("windows-amd64", "zip", WIN_100_ZIP))
                .release("agent", "1.1.0", "Second release: <b>bold</b> & more",
                        Asset.of("linux-amd64", "zip", LINUX_110_ZIP),
                        Asset.of("linux-amd64", "tar.gz", LINUX_110_TGZ));
    }

    private SyncRun sync(int keep, SourceRef... sources) {
        SyncRun run = new SyncRun("sync-" + (++syncs), "test", "tester", clock.instant());
        try {
            store.syncs().startSync(new SyncHistory.SyncRecord(run.id(), "test", "tester", clock.instant(), null, "running", 0, 0, 0, 0, null));
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        new IntakeRun(run, List.of(sources), store, cache, manifests,
                new IntakeRun.Settings(keep, 64L * 1024 * 1024, Duration.ofSeconds(30), Duration.ofMinutes(5), 20), clock).execute();
        return run;
    }

    private static SourceRef ref(String name, InMemoryReleaseSource source) {
        return new SourceRef(name, "memory", source);
    }

    private List<String> eventNames(SyncRun run) throws InterruptedException {
        return run.eventsFrom(0, 0).stream().map(SyncRun.Event::name).filter(n -> !n.equals("progress")).toList();
    }

    @Test
    void aSourceThatHangsInItsListingHoldsTheSyncOnlyUntilTheListingTimeout() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        io.printmaster.api.release.ReleaseSource hanging = new InMemoryReleaseSource() {
            @Override
            public io.printmaster.api.release.ReleasePage releases(java.util.Optional<String> pageToken)
                    throws io.printmaster.api.release.ReleaseSourceException {
                try {
                    never.await(); // a feed that never finishes: only the sync's deadline ends this
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new io.printmaster.api.release.ReleaseSourceException("interrupted", true);
            }
        };
        SyncRun run = new SyncRun("sync-hang", "test", "tester", clock.instant());
        store.syncs().startSync(new SyncHistory.SyncRecord(run.id(), "test", "tester", clock.instant(), null, "running", 0, 0, 0,
                0, null));
        long start = System.nanoTime();
        new IntakeRun(run, List.of(new SourceRef("a-hanging-feed", "memory", hanging), ref("mirror", twoReleases())),
                store, cache, manifests, new IntakeRun.Settings(5, 64L * 1024 * 1024, Duration.ofSeconds(30),
                Duration.ofMinutes(5), 20, 4096, Duration.ofSeconds(30), Duration.ofSeconds(1)), clock).execute();
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(millis < 10_000, "the sync went on after the listing timeout: " + millis + " ms");
        assertEquals(4, store.artifacts(ArtifactFilter.ALL).size(), "the other source's assets are cached");
        String failed = run.eventsFrom(0, 0).stream().filter(e -> e.name().equals("source_failed"))
                .map(Object::toString).collect(Collectors.joining("\n"));
        assertTrue(failed.contains("a-hanging-feed") && failed.contains("took longer than 1 s"), failed);
    }

    @Test
    void aValidityOfMoreThanNinetyDaysIsAConfigurationErrorNamingTheKey() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ManifestService(keys, keys, store, Fixtures.manifestConfig(91, 7), clock, false));
        assertTrue(e.getMessage().contains("validity_days is 91; at most 90"), e.getMessage());
        ManifestService ninety = new ManifestService(keys, keys, store, Fixtures.manifestConfig(90, 7), clock, false);
        ninety.stop();
    }

    @Test
    void goodAssetsAreCachedTheTamperedOneIsRejectedAndEveryCachedOneHasAVerifyingManifest() throws Exception {
        SyncRun run = sync(5, ref("github-main", twoReleases()));

        List<Artifact> artifacts = store.artifacts(ArtifactFilter.ALL);
        assertEquals(List.of("1.1.0 linux amd64 tar.gz", "1.1.0 linux amd64 zip", "1.0.0 linux amd64 zip", "1.0.0 windows amd64 msi"),
                artifacts.stream().map(a -> a.version() + " " + a.platform() + " " + a.arch() + " " + a.format()).toList(),
                "two formats of one build are two artifacts; newest version first");
        for (Artifact a : artifacts) {
            assertTrue(cache.file(a.sha256()).isPresent(), a.assetName());
            assertEquals(a.sizeBytes(), Files.size(cache.file(a.sha256()).get()));
            assertEquals("github-main", a.sourceName());
            assertEquals("stable", a.channel());
        }
        assertEquals("Second release: <b>bold</b> & more", artifacts.get(0).releaseNotes());
        assertEquals(Instant.parse("2026-11-01T10:00:00.123Z"), artifacts.get(0).publishedAt());

        List<IntakeEvent> rejected = store.syncs().events(run.id(), "rejected", 10);
        assertEquals(1, rejected.size());
        assertEquals("HASH_MISMATCH", rejected.get(0).reason());
        assertEquals("printmaster-agent-v1.0.0-windows-amd64.zip", rejected.get(0).assetName());
        assertTrue(store.find("agent", "1.0.0", "windows", "amd64", "zip").isEmpty(), "the tampered asset is not recorded");
        assertTrue(cache.file(ArtifactCacheTest.sha(WIN_100_ZIP).hex()).isEmpty(), "nor cached");

        List<String> names = eventNames(run);
        assertEquals("started", names.get(0));
        assertEquals("finished", names.get(names.size() - 1));
        assertEquals(4, names.stream().filter("asset_cached"::equals).count());
        assertEquals(1, names.stream().filter("asset_rejected"::equals).count());
        SyncRun.Event rejectedEvent = run.eventsFrom(0, 0).stream().filter(e -> e.name().equals("asset_rejected")).findFirst().orElseThrow();
        assertEquals("HASH_MISMATCH", rejectedEvent.data().get("reason"));
        List<SyncRun.Event> all = run.eventsFrom(0, 0);
        Map<String, Object> finished = all.get(all.size() - 1).data();
        assertEquals(4, finished.get("cached_count"));
        assertEquals(1, finished.get("rejected_count"));
        assertEquals("finished", store.syncs().sync(run.id()).orElseThrow().state());

        List<ManifestEntry> entries = store.manifests(ArtifactFilter.ALL);
        assertEquals(4, entries.size());
        String pem = keys.active().publicKeyPem();
        for (ManifestEntry e : entries) {
            byte[] bytes = e.manifest().manifest();
            assertTrue(JdkEd25519Keys.verifyWithPem(pem, bytes, Base64.getDecoder().decode(e.manifest().signature())),
                    "manifest of " + e.artifact().assetName() + " verifies with the public key alone");
            JsonNode m = JSON.readTree(bytes);
            assertEquals(e.artifact().sha256(), m.get("sha256").asText());
            assertEquals(keys.active().id(), m.get("key_id").asText());
            assertEquals(e.artifact().format(), m.get("format").asText());
        }
    }

    @Test
    void whatASourceSkipsOrRefusesIsCountedAndReportedWithItsReasonAndNeverCached() throws Exception {
        InMemoryReleaseSource source = twoReleases();
        source.skips.add(io.printmaster.api.release.Skipped.release("nightly", "tag_not_a_version", "tag 'nightly' is not a version"));
        source.skips.add(io.printmaster.api.release.Skipped.asset("v1.1.0", "README.txt", "asset_name_not_matched", "README.txt does not match"));
        source.mismatched.add("printmaster-agent-v1.1.0-linux-amd64.zip");
        source.badlySigned.add("printmaster-agent-v1.1.0-linux-amd64.tar.gz");
        SyncRun run = sync(5, ref("monorepo", source));

        List<SyncRun.Event> events = run.eventsFrom(0, 0);
        List<Map<String, Object>> skipped = events.stream().filter(e -> e.name().equals("skipped")).map(SyncRun.Event::data).toList();
        assertEquals(List.of("nightly null tag_not_a_version", "v1.1.0 README.txt asset_name_not_matched"),
                skipped.stream().map(m -> m.get("release") + " " + m.get("asset") + " " + m.get("reason")).toList());
        assertEquals("monorepo", skipped.get(0).get("source"));
        Map<String, String> rejections = events.stream().filter(e -> e.name().equals("asset_rejected"))
                .collect(Collectors.toMap(e -> (String) e.data().get("asset"), e -> (String) e.data().get("reason")));
        assertEquals(Map.of("printmaster-agent-v1.0.0-windows-amd64.zip", "HASH_MISMATCH",
                "printmaster-agent-v1.1.0-linux-amd64.zip", "COMPONENT_MISMATCH",
                "printmaster-agent-v1.1.0-linux-amd64.tar.gz", "SIGNATURE_INVALID"), rejections);

        Map<String, Object> finished = events.get(events.size() - 1).data();
        assertEquals(2, finished.get("cached_count"));
        assertEquals(3, finished.get("rejected_count"));
        assertEquals(2, finished.get("skipped_count"));
        assertEquals(Map.of("asset_name_not_matched", 1, "tag_not_a_version", 1), finished.get("skipped_reasons"));

        assertTrue(store.find("agent", "1.1.0", "linux", "amd64", "tar.gz").isEmpty(), "a refused asset is not recorded");
        assertTrue(cache.file(ArtifactCacheTest.sha(LINUX_110_TGZ).hex()).isEmpty(), "and its verified bytes are dropped");
        assertEquals(3, source.verified.size(), "the source saw each downloaded asset's bytes: " + source.verified);
        List<IntakeEvent> history = store.syncs().events(run.id(), "skipped", 10);
        assertEquals(List.of("asset_name_not_matched README.txt", "tag_not_a_version null"),
                history.stream().map(e -> e.reason() + " " + e.assetName()).toList());
        assertTrue(history.get(1).message().contains("nightly"), history.get(1).message());
        assertEquals(2, store.syncs().sync(run.id()).orElseThrow().skippedCount());
    }

    @Test
    void aManifestCarriesTheDesignFieldsAsCanonicalJson() throws Exception {
        sync(5, ref("github-main", twoReleases()));
        Artifact a = store.find("agent", "1.1.0", "linux", "amd64", "tar.gz").orElseThrow();
        String manifest = new String(store.manifest(a.id()).orElseThrow().manifest(), StandardCharsets.UTF_8);
        assertEquals("{\"arch\":\"amd64\",\"bundles\":[],\"channel\":\"stable\",\"component\":\"agent\","
                + "\"expires_at\":\"2026-12-26T12:00:00Z\",\"format\":\"tar.gz\",\"generated_at\":\"2026-11-26T12:00:00Z\","
                + "\"key_id\":\"" + keys.active().id() + "\",\"manifest_version\":1,\"minor_line\":\"1.1\",\"platform\":\"linux\","
                + "\"published_at\":\"2026-11-01T10:00:00Z\",\"release_counter\":2,\"sha256\":\"" + a.sha256() + "\","
                + "\"size_bytes\":" + LINUX_110_TGZ.length + ",\"source_url\":\"mem://printmaster-agent-v1.1.0-linux-amd64.tar.gz\","
                + "\"version\":\"1.1.0\"}", manifest);
    }

    @Test
    void releaseCountersFollowVersionOrderWithinASyncAndNeverChange() throws Exception {
        sync(5, ref("s", twoReleases()));
        assertEquals(1L, store.releaseCounter("agent", "1.0.0").orElseThrow());
        assertEquals(2L, store.releaseCounter("agent", "1.1.0").orElseThrow());

        // a later backport of an older line gets the next counter: counters only grow
        InMemoryReleaseSource more = twoReleases().release("agent", "1.0.1", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 9)))
                .release("agent", "1.2.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 10)));
        sync(5, ref("s", more));
        assertEquals(1L, store.releaseCounter("agent", "1.0.0").orElseThrow());
        assertEquals(2L, store.releaseCounter("agent", "1.1.0").orElseThrow());
        assertEquals(3L, store.releaseCounter("agent", "1.0.1").orElseThrow(), "new versions of one sync in version order");
        assertEquals(4L, store.releaseCounter("agent", "1.2.0").orElseThrow());
        assertEquals(1L, store.releaseCounter("server", "1.0.0").orElse(1L), "counters are per component");
    }

    @Test
    void aSecondSyncReadsOnlyTheNewestPageWhenNothingIsNew() throws Exception {
        InMemoryReleaseSource source = twoReleases();
        sync(5, ref("s", source));
        assertEquals(List.of(0, 1), source.pagesRead);
        source.pagesRead.clear();
        SyncRun second = sync(5, ref("s", source));
        assertEquals(List.of(0), source.pagesRead, "the newest page holds nothing new: older pages are not read");
        assertEquals(0, second.snapshot().cachedCount());
    }

    @Test
    void retentionKeepsTheNewestVersionsPerComponentAndChannelAndDeletesUnreferencedFiles() throws Exception {
        byte[] shared = ArtifactCacheTest.bytes(5000, 20);
        InMemoryReleaseSource source = new InMemoryReleaseSource()
                .release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 21)),
                        Asset.of(null, "bundle-set", shared))
                .release("agent", "1.1.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 22)))
                .release("agent", "2.0.0-beta.1", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 23)))
                .release("server", "0.9.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 24)));
        sync(5, ref("s", source));
        Artifact old = store.find("agent", "1.0.0", "linux", "amd64", "zip").orElseThrow();

        source.release("agent", "1.2.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 25)),
                Asset.of(null, "bundle-set", shared));
        SyncRun run = sync(2, ref("s", source));

        Map<String, List<String>> versions = store.artifacts(ArtifactFilter.ALL).stream().collect(Collectors.groupingBy(
                a -> a.component() + "/" + a.channel(), Collectors.mapping(Artifact::version, Collectors.toList())));
        assertEquals(List.of("1.2.0", "1.2.0", "1.1.0"), versions.get("agent/stable"));
        assertEquals(List.of("2.0.0-beta.1"), versions.get("agent/beta"), "channels are counted apart");
        assertEquals(List.of("0.9.0"), versions.get("server/stable"), "components are counted apart");
        assertTrue(cache.file(old.sha256()).isEmpty(), "the pruned version's file is gone");
        assertTrue(cache.file(ArtifactCacheTest.sha(shared).hex()).isPresent(), "a file another record still names stays");
        assertEquals(2, run.snapshot().prunedCount());
        assertEquals(2, store.syncs().events(run.id(), "pruned", 10).size());
        assertTrue(store.manifest(old.id()).isEmpty());
    }

    @Test
    void versionsOlderThanRetentionKeepsAreNotDownloadedAtAll() throws Exception {
        InMemoryReleaseSource source = new InMemoryReleaseSource()
                .release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 31)))
                .release("agent", "1.1.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 32)))
                .release("agent", "1.2.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 33)));
        SyncRun run = sync(2, ref("s", source));
        assertEquals(List.of("1.2.0", "1.1.0"), store.artifacts(ArtifactFilter.ALL).stream().map(Artifact::version).toList());
        assertEquals(0, run.snapshot().prunedCount());
        assertEquals(1, run.snapshot().skippedCount());
    }

    @Test
    void anAssetWithoutUpstreamChecksumIsNeverTrusted() throws Exception {
        InMemoryReleaseSource source = new InMemoryReleaseSource()
                .release("agent", "1.0.0", null, Asset.withoutChecksum("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 41)));
        SyncRun run = sync(5, ref("s", source));
        assertEquals(List.of(), store.artifacts(ArtifactFilter.ALL));
        assertEquals("NO_UPSTREAM_CHECKSUM", store.syncs().events(run.id(), "rejected", 10).get(0).reason());
    }

    @Test
    void aSecondSourceWithOtherBytesForTheSameArtifactIsRefusedAsAConflict() throws Exception {
        InMemoryReleaseSource first = new InMemoryReleaseSource()
                .release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 51)));
        InMemoryReleaseSource mirror = new InMemoryReleaseSource()
                .release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(5000, 52)));
        SyncRun run = sync(5, ref("a-first", first), ref("b-mirror", mirror));
        Artifact kept = store.find("agent", "1.0.0", "linux", "amd64", "zip").orElseThrow();
        assertEquals("a-first", kept.sourceName());
        IntakeEvent conflict = store.syncs().events(run.id(), "rejected", 10).get(0);
        assertEquals("CONFLICT", conflict.reason());
        assertEquals("b-mirror", conflict.sourceName());
    }

    @Test
    void rotatingAndRegeneratingReSignsEveryManifestWithTheNewKey() throws Exception {
        sync(5, ref("s", twoReleases()));
        String oldKey = keys.active().id();
        var rotation = keys.rotate("yearly", "tester");
        assertEquals(4, manifests.regenerateAll());
        String newPem = rotation.newKey().publicKeyPem();
        for (ManifestEntry e : store.manifests(ArtifactFilter.ALL)) {
            assertEquals(rotation.newKey().id(), e.manifest().keyId());
            assertNotEquals(oldKey, e.manifest().keyId());
            assertTrue(JdkEd25519Keys.verifyWithPem(newPem, e.manifest().manifest(), Base64.getDecoder().decode(e.manifest().signature())));
            assertEquals(rotation.newKey().id(), JSON.readTree(e.manifest().manifest()).get("key_id").asText());
        }
    }

    @Test
    void manifestsCloseToExpiryAreRenewedAndOthersAreLeftAlone() throws Exception {
        sync(5, ref("s", twoReleases()));
        ManifestService later = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7),
                Clock.offset(clock, Duration.ofDays(22)), false);
        try {
            assertEquals(0, later.renewExpiring(), "8 days left: more than the 7-day margin");
            ManifestService muchLater = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7),
                    Clock.offset(clock, Duration.ofDays(24)), false);
            try {
                assertEquals(4, muchLater.renewExpiring());
                for (ManifestEntry e : store.manifests(ArtifactFilter.ALL)) {
                    assertEquals(Instant.parse("2026-12-20T12:00:00Z").plus(Duration.ofDays(30)), e.manifest().expiresAt());
                }
            } finally {
                muchLater.stop();
            }
        } finally {
            later.stop();
        }
    }

    @Test
    void artifactsCachedWhileNoSignerRanAreSignedLater() throws Exception {
        SyncRun run = new SyncRun("sync-unsigned", "test", "tester", clock.instant());
        store.syncs().startSync(new SyncHistory.SyncRecord(run.id(), "test", "tester", clock.instant(), null, "running", 0, 0, 0, 0, null));
        new IntakeRun(run, List.of(ref("s", twoReleases())), store, cache, null,
                new IntakeRun.Settings(5, 1L << 26, Duration.ofSeconds(30), Duration.ofMinutes(5), 20), clock).execute();
        assertEquals(4, store.artifactsWithoutManifest().size());
        assertEquals(4, manifests.signMissing());
        assertEquals(List.of(), store.artifactsWithoutManifest());
        assertFalse(store.manifests(ArtifactFilter.ALL).isEmpty());
    }
}
