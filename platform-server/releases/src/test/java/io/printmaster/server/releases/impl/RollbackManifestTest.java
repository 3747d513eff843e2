package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.signing.SigningException;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.store.impl.DerbyDatabase;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback manifests on a real Derby database with real Ed25519 signing and real agent archives: what is signed,
 * the release counter rule, reuse, renewal and rotation, and two server processes asking at once.
 */
class RollbackManifestTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    JdkEd25519Keys keys;
    AgentContents contents;
    ManifestService manifests;
    ReleaseCatalogService catalog;
    final List<ManifestService> started = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        keys = new JdkEd25519Keys();
        contents = new AgentContents(store, cache, Clock.fixed(NOW, ZoneOffset.UTC));
        manifests = manifestService(store, Clock.fixed(NOW, ZoneOffset.UTC));
        catalog = new ReleaseCatalogService(store, cache, new BundleCache(dir.resolve("bundles")), manifests);
    }

    @AfterEach
    void close() {
        started.forEach(ManifestService::stop);
        cache.close();
        db.close();
    }

    private ManifestService manifestService(ReleaseStore on, Clock clock) {
        ManifestService m = new ManifestService(keys, keys, on, new AgentContents(on, cache, clock),
                Fixtures.manifestConfig(30, 7), clock, false);
        started.add(m);
        return m;
    }

    /** Caches a real agent archive, records it (giving its version a counter) and signs its manifest. */
    private Artifact release(String version, String platform) throws Exception {
        byte[] bytes = AgentArchives.tarGz(version, AgentArchives.tree(version));
        String sha = AgentManifestTest.sha256(bytes);
        cache.store(new ByteArrayInputStream(bytes), Checksum.sha256(sha), 1 << 30);
        ReleaseStore.Recorded recorded = store.record(new Artifact(0, "agent", version, platform, "amd64", "tar.gz",
                "stable", sha, bytes.length, "printmaster-agent-v" + version + "-" + platform + "-amd64.tar.gz", "s",
                "directory", "file:///releases/" + version, "notes of " + version, null, NOW));
        Artifact a = ((ReleaseStore.Added) recorded).artifact();
        manifests.sign(a);
        return a;
    }

    private static ReleaseManifest read(SignedManifest m) throws Exception {
        return JSON.readValue(m.manifest(), ReleaseManifest.class);
    }

    private boolean verifiesWithServerKey(SignedManifest m) throws Exception {
        String pem = keys.find(m.keyId()).orElseThrow().publicKeyPem();
        return JdkEd25519Keys.verifyWithPem(pem, m.manifest(), Base64.getDecoder().decode(m.signature()));
    }

    private long counterOf(Artifact a) throws Exception {
        return store.releaseCounter(a.component(), a.version()).orElseThrow();
    }

    @Test
    void aRollbackManifestIsTheArtifactsManifestPlusDowngradeAndRolloutSignedByTheActiveKey() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        Artifact v110 = release("1.1.0", "linux");

        SignedManifest rollback = catalog.downgradeManifest(v100.id(), "rol_7Kx-2").orElseThrow();

        assertTrue(verifiesWithServerKey(rollback), "verifies with the server's key, as an agent checks it");
        assertEquals(keys.active().id(), rollback.keyId());
        assertEquals(v100.id(), rollback.artifactId());
        ReleaseManifest m = read(rollback);
        assertTrue(m.isDowngrade());
        assertEquals("rol_7Kx-2", m.rolloutId());
        assertEquals("1.0.0", m.version());
        assertEquals(keys.active().id(), m.keyId());

        // everything else is the artifact's own manifest: the hot-swap fields included
        ObjectNode own = (ObjectNode) JSON.readTree(store.manifest(v100.id()).orElseThrow().manifest());
        ObjectNode signed = (ObjectNode) JSON.readTree(rollback.manifest());
        assertEquals(3, signed.get("bundles").size(), signed.toString());
        assertTrue(signed.has("runtime_sha256") && signed.has("restart_required"), signed.toString());
        for (ObjectNode n : List.of(own, signed)) {
            n.remove(List.of("release_counter", "generated_at", "expires_at", "downgrade", "rollout_id"));
        }
        assertEquals(own, signed);

        assertTrue(m.releaseCounter() > counterOf(v100) && m.releaseCounter() > counterOf(v110),
                "above every counter handed out: " + m.releaseCounter());
        Artifact v120 = release("1.2.0", "linux");
        assertTrue(counterOf(v120) > m.releaseCounter(), "a later release's counter is above the rollback's");
        long another = read(catalog.downgradeManifest(v100.id(), "rol_other").orElseThrow()).releaseCounter();
        assertTrue(another > counterOf(v120), "another rollout's rollback manifest gets a counter above all: " + another);
    }

    @Test
    void theStoredManifestIsServedAgainWhileValidAndEachArtifactAndRolloutHasItsOwnCounter() throws Exception {
        Artifact linux = release("1.0.0", "linux");
        Artifact windows = release("1.0.0", "windows");
        release("1.1.0", "linux");

        SignedManifest first = catalog.downgradeManifest(linux.id(), "rol_a").orElseThrow();
        SignedManifest again = catalog.downgradeManifest(linux.id(), "rol_a").orElseThrow();
        assertArrayEquals(first.manifest(), again.manifest(), "the same signed bytes, not a new signature");
        assertEquals(first.signature(), again.signature());

        // a later process (22 days on: 8 days left, more than the 7-day margin) still serves the stored bytes
        ManifestService later = manifestService(store, Clock.fixed(NOW.plus(Duration.ofDays(22)), ZoneOffset.UTC));
        assertArrayEquals(first.manifest(), later.downgradeManifest(linux.id(), "rol_a").orElseThrow().manifest());

        long forWindows = read(catalog.downgradeManifest(windows.id(), "rol_a").orElseThrow()).releaseCounter();
        assertNotEquals(read(first).releaseCounter(), forWindows);
        assertEquals("windows", read(catalog.downgradeManifest(windows.id(), "rol_a").orElseThrow()).platform());
    }

    @Test
    void aRollbackManifestExpiringWithinTheMarginIsSignedAgainWithTheSameCounter() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        release("1.1.0", "linux");
        SignedManifest first = catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow();

        ManifestService later = manifestService(store, Clock.fixed(NOW.plus(Duration.ofDays(24)), ZoneOffset.UTC));
        SignedManifest renewed = later.downgradeManifest(v100.id(), "rol_a").orElseThrow();

        assertFalse(java.util.Arrays.equals(first.manifest(), renewed.manifest()));
        assertEquals(NOW.plus(Duration.ofDays(24)), renewed.generatedAt());
        assertEquals(read(first).releaseCounter(), read(renewed).releaseCounter());
        assertTrue(read(renewed).isDowngrade());
        assertTrue(verifiesWithServerKey(renewed));
        assertArrayEquals(renewed.manifest(), catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow().manifest(),
                "the renewed one is stored and served from then on");

        // the renewal job renews them too (a process that never serves them still keeps them fresh)
        ManifestService job = manifestService(store, Clock.fixed(NOW.plus(Duration.ofDays(48)), ZoneOffset.UTC));
        assertEquals(2 + 1, job.renewExpiring(), "two artifact manifests and one rollback manifest");
        SignedManifest byJob = store.rollbackManifest(v100.id(), "rol_a").orElseThrow().manifest();
        assertEquals(NOW.plus(Duration.ofDays(48)), byJob.generatedAt());
        assertEquals(read(first).releaseCounter(), read(byJob).releaseCounter());
    }

    @Test
    void aRotationReSignsRollbackManifestsWithTheNewKeyAndTheSameCounter() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        release("1.1.0", "linux");
        Artifact other = release("1.0.0", "darwin");
        SignedManifest before = catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow();
        SignedManifest otherBefore = catalog.downgradeManifest(other.id(), "rol_a").orElseThrow();
        String oldKey = before.keyId();

        keys.rotate("yearly", "tester");
        // asked right after the rotation, before any job ran: signed again at once
        SignedManifest after = catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow();
        assertNotEquals(oldKey, after.keyId());
        assertEquals(keys.active().id(), read(after).keyId());
        assertEquals(read(before).releaseCounter(), read(after).releaseCounter());
        assertTrue(verifiesWithServerKey(after));

        // the renewal job's resignRetired covers the one nobody asked for (a server stopped after the rotation)
        assertEquals(3 + 1, manifests.resignRetired(), "three artifact manifests and one rollback manifest");
        SignedManifest otherAfter = store.rollbackManifest(other.id(), "rol_a").orElseThrow().manifest();
        assertEquals(keys.active().id(), otherAfter.keyId());
        assertEquals(read(otherBefore).releaseCounter(), read(otherAfter).releaseCounter());
        assertArrayEquals(otherAfter.manifest(), catalog.downgradeManifest(other.id(), "rol_a").orElseThrow().manifest());

        // regenerate (the rotation route) re-signs them as well
        keys.rotate("again", "tester");
        assertEquals(3 + 2, manifests.regenerateAll(), "three artifact manifests and two rollback manifests");
        assertEquals(keys.active().id(), store.rollbackManifest(v100.id(), "rol_a").orElseThrow().manifest().keyId());
    }

    @Test
    void twoServerProcessesAskingAtOnceEndWithOneCounterPerArtifactAndRollout() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        release("1.1.0", "linux");
        // a second server process: its own store and manifest service on the same database
        ReleaseStore otherStore = new ReleaseStore(db);
        ManifestService other = manifestService(otherStore, Clock.fixed(NOW, ZoneOffset.UTC));
        List<ManifestService> processes = List.of(manifests, other);

        int threads = 12;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Callable<SignedManifest>> asks = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ManifestService process = processes.get(i % 2);
                String rollout = "rol_" + (i % 3); // three rollouts, four asks each, split over both processes
                asks.add(() -> {
                    go.await();
                    return process.downgradeManifest(v100.id(), rollout).orElseThrow();
                });
            }
            List<Future<SignedManifest>> futures = new ArrayList<>();
            for (Callable<SignedManifest> ask : asks) {
                futures.add(pool.submit(ask));
            }
            go.countDown();
            Map<String, Set<Long>> countersByRollout = new java.util.TreeMap<>();
            for (Future<SignedManifest> f : futures) {
                ReleaseManifest m = read(f.get());
                countersByRollout.computeIfAbsent(m.rolloutId(), k -> new HashSet<>()).add(m.releaseCounter());
            }
            assertEquals(Set.of("rol_0", "rol_1", "rol_2"), countersByRollout.keySet());
            Set<Long> all = new HashSet<>();
            for (Set<Long> counters : countersByRollout.values()) {
                assertEquals(1, counters.size(), "one counter per artifact and rollout: " + countersByRollout);
                all.addAll(counters);
            }
            assertEquals(3, all.size(), "three rollouts, three counters: " + countersByRollout);
            for (String rollout : countersByRollout.keySet()) {
                assertEquals(countersByRollout.get(rollout).iterator().next(),
                        store.rollbackManifest(v100.id(), rollout).orElseThrow().counter());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(3, count("SELECT COUNT(*) FROM PM_RELEASE_ROLLBACK_MANIFEST"));
        assertEquals(3, count("SELECT COUNT(*) FROM PM_RELEASE_COUNTER WHERE VERSION LIKE 'rollback/%'"));
        assertEquals(5, count("SELECT COUNT(DISTINCT COUNTER) FROM PM_RELEASE_COUNTER WHERE COMPONENT = 'agent'"));
        assertTrue(counterOf(release("1.2.0", "linux")) > 5, "the next release comes after all of them");
    }

    @Test
    void releasesAndRollbackManifestsArrivingAtOnceNeverShareACounter() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        ReleaseStore otherStore = new ReleaseStore(db);
        ManifestService other = manifestService(otherStore, Clock.fixed(NOW, ZoneOffset.UTC));
        int rounds = 8;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                String rollout = "rol_" + i;
                ManifestService process = i % 2 == 0 ? manifests : other;
                work.add(pool.submit(() -> {
                    go.await();
                    return process.downgradeManifest(v100.id(), rollout).orElseThrow();
                }));
                String version = "2." + i + ".0";
                ReleaseStore intake = i % 2 == 0 ? otherStore : store;
                work.add(pool.submit(() -> {
                    go.await();
                    return intake.record(new Artifact(0, "agent", version, "linux", "amd64", "zip", "stable",
                            "cd".repeat(32), 1, "a.zip", "s", "directory", "file:///z", null, null, NOW));
                }));
            }
            go.countDown();
            for (Future<?> f : work) {
                f.get(); // neither an intake nor a rollback fails because the other took its number
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1 + 2L * rounds, count("SELECT COUNT(DISTINCT COUNTER) FROM PM_RELEASE_COUNTER WHERE COMPONENT = 'agent'"));
        assertEquals(1 + 2L * rounds, count("SELECT COUNT(*) FROM PM_RELEASE_COUNTER WHERE COMPONENT = 'agent'"));
    }

    private long count(String sql) throws Exception {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void aMalformedRolloutIdIsRefusedNamingIt() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        for (String bad : new String[] {null, "", "rol a", "rol/1", "rol_\u00e9", "x".repeat(65), "rol\n1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> catalog.downgradeManifest(v100.id(), bad), String.valueOf(bad));
            assertTrue(e.getMessage().startsWith("rolloutId"), e.getMessage());
        }
        assertTrue(catalog.downgradeManifest(v100.id(), "x".repeat(64)).isPresent(), "64 characters are fine");
    }

    @Test
    void nothingIsSignedForAnUnknownArtifactWhenSigningFailsOrWithoutAManifestService() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        assertEquals(Optional.empty(), catalog.downgradeManifest(v100.id() + 1000, "rol_a"));

        ManifestService failing = new ManifestService(message -> {
            throw new SigningException("the key store is sealed");
        }, keys, store, null, Fixtures.manifestConfig(30, 7), Clock.fixed(NOW, ZoneOffset.UTC), false);
        started.add(failing);
        assertEquals(Optional.empty(), failing.downgradeManifest(v100.id(), "rol_a"));
        assertEquals(0, count("SELECT COUNT(*) FROM PM_RELEASE_ROLLBACK_MANIFEST"), "nothing half-stored");

        ReleaseCatalogService withoutSigner = new ReleaseCatalogService(store, cache, new BundleCache(dir.resolve("b2")));
        assertEquals(Optional.empty(), withoutSigner.downgradeManifest(v100.id(), "rol_a"));

        // the counter reserved by the failed attempt is kept for the next one: still one per artifact and rollout
        SignedManifest signed = catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow();
        assertEquals(1, count("SELECT COUNT(*) FROM PM_RELEASE_COUNTER WHERE VERSION LIKE 'rollback/%'"));
        assertEquals(store.releaseCounter("agent", ReleaseStore.rollbackCounterKey(v100.id(), "rol_a")).orElseThrow(),
                read(signed).releaseCounter());
    }

    @Test
    void pruningTheArtifactDropsItsRollbackManifestsButNeverTheirCounters() throws Exception {
        Artifact v100 = release("1.0.0", "linux");
        release("1.1.0", "linux");
        long counter = read(catalog.downgradeManifest(v100.id(), "rol_a").orElseThrow()).releaseCounter();
        assertEquals(List.of(v100), store.pruneBeyond(1));
        assertEquals(Optional.empty(), store.rollbackManifest(v100.id(), "rol_a"));
        assertEquals(Optional.empty(), catalog.downgradeManifest(v100.id(), "rol_a"));
        assertTrue(counterOf(release("1.2.0", "linux")) > counter, "the rollback's counter is never handed out again");
    }
}
