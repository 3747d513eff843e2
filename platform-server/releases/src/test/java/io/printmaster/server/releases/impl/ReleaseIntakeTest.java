package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.server.releases.impl.InMemoryReleaseSource.Asset;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync scheduler: a new source starts a sync, only one sync runs at a time, and a source arriving during a sync
 * is synced right after it.
 */
class ReleaseIntakeTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    ReleaseIntake intake;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        intake = new ReleaseIntake(store, cache, Fixtures.intakeConfig(5), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        intake.stop();
        cache.close();
        db.close();
    }

    /** A source whose listing waits until the test lets it go. */
    private static final class GatedSource extends InMemoryReleaseSource {
        final CountDownLatch listing = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);

        @Override
        public synchronized ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
            listing.countDown();
            try {
                open.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReleaseSourceException("interrupted", true);
            }
            return super.releases(pageToken);
        }
    }

    private static void awaitEnd(SyncRun run) throws InterruptedException {
        int next = 0;
        while (run.isRunning()) {
            next += run.eventsFrom(next, 1000).size();
        }
    }

    /** Adds a gated source with agent 1.0.0 and waits until the sync its arrival started is listing it. */
    private GatedSource addGatedSource(String name) throws InterruptedException {
        GatedSource source = new GatedSource();
        source.release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 1)));
        intake.addSource(source, Map.of("name", name, ReleaseSource.TYPE, "memory"));
        assertTrue(source.listing.await(30, TimeUnit.SECONDS), "the new source triggered a sync");
        return source;
    }

    @Test
    void aNewSourceStartsASyncAndASecondRequestGetsTheRunningOne() throws Exception {
        GatedSource source = addGatedSource("gated");

        SyncRun running = intake.running().orElseThrow();
        assertEquals("source", running.triggeredBy());
        ReleaseIntake.Started second = intake.startSync("api", "admin");
        assertTrue(second.alreadyRunning());
        assertEquals(running.id(), second.run().id());

        source.open.countDown();
        awaitEnd(running);
        assertEquals(1, running.snapshot().cachedCount());
        assertEquals("finished", store.syncs().sync(running.id()).orElseThrow().state());
        assertFalse(intake.running().isPresent());

        ReleaseIntake.Started third = intake.startSync("api", "admin");
        assertFalse(third.alreadyRunning());
        assertNotEquals(running.id(), third.run().id());
        awaitEnd(third.run());
        assertEquals(List.of("gated"), intake.sources().stream().map(IntakeRun.SourceRef::name).toList());
    }

    @Test
    void aSourceArrivingWhileASyncRunsIsSyncedRightAfterIt() throws Exception {
        GatedSource first = addGatedSource("first");
        SyncRun running = intake.running().orElseThrow();

        InMemoryReleaseSource late = new InMemoryReleaseSource();
        late.release("agent", "1.1.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1200, 2)));
        intake.addSource(late, Map.of("name", "late", ReleaseSource.TYPE, "memory"));
        first.open.countDown();
        awaitEnd(running);
        assertEquals(1, running.snapshot().cachedCount(), "the running sync kept the sources it started with");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> versions = List.of();
        while (System.nanoTime() < deadline) {
            versions = store.artifacts(io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter.ALL).stream()
                    .map(io.printmaster.server.releases.api.Artifact::version).sorted().toList();
            if (versions.contains("1.1.0")) {
                break;
            }
            Optional<SyncRun> next = intake.running();
            if (next.isPresent()) {
                awaitEnd(next.get());
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the catch-up sync is being scheduled
            }
        }
        assertEquals(List.of("1.0.0", "1.1.0"), versions, "the late source was synced without a request");
    }

    /**
     * A sync that started before the signer was bound caches its artifacts unsigned; once the signer is bound and the
     * sync ends, they are signed without waiting for the renewal job's next period (an hour by default).
     */
    @Test
    void artifactsCachedBeforeTheSignerWasBoundAreSignedWhenTheSyncEnds() throws Exception {
        GatedSource source = addGatedSource("early");
        SyncRun running = intake.running().orElseThrow();
        JdkEd25519Keys keys = new JdkEd25519Keys();
        // not scheduled: the only signing is what the intake asks for
        ManifestService manifests = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7),
                Clock.systemUTC(), false);
        try {
            intake.setManifests(manifests);
            source.open.countDown();
            awaitEnd(running);
            assertEquals(1, running.snapshot().cachedCount());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!store.artifactsWithoutManifest().isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            assertEquals(List.of(), store.artifactsWithoutManifest(), "every cached artifact has a signed manifest");
        } finally {
            manifests.stop();
        }
    }
}
