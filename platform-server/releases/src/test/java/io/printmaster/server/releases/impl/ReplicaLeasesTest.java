package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.server.releases.impl.InMemoryReleaseSource.Asset;
import io.printmaster.store.ClusterLease;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcClusterLease;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas' release modules on one database, each with its own lease service (its own replica id): a sync runs
 * on one of them at a time, the other answers it as "already running", a replica starting meanwhile does not abandon
 * it, and when the syncing replica dies the other takes over after the lease's ttl. The manifest renewal job likewise
 * runs on one replica at a time.
 */
class ReplicaLeasesTest {
    /** Small, so that the take-over after a death is seconds away; renewed every second. */
    private static final int TTL_SECONDS = 3;

    @TempDir
    Path dir;
    DerbyDatabase db;
    MortalLease leaseA;
    MortalLease leaseB;
    ReleaseStore storeA;
    ReleaseStore storeB;
    ArtifactCache cacheA;
    ArtifactCache cacheB;
    ReleaseIntake a;
    ReleaseIntake b;

    /** A replica's lease service that can die: after {@link #die()} it neither renews nor releases. */
    static final class MortalLease implements ClusterLease {
        final ClusterLease alive;
        volatile boolean dead;

        MortalLease(ClusterLease alive) {
            this.alive = alive;
        }

        void die() {
            dead = true;
        }

        private void check() throws SQLException {
            if (dead) {
                throw new SQLException("this replica is dead");
            }
        }

        @Override
        public String replicaId() {
            return alive.replicaId();
        }

        @Override
        public boolean tryAcquire(String name, Duration ttl) throws SQLException {
            check();
            return alive.tryAcquire(name, ttl);
        }

        @Override
        public void release(String name) throws SQLException {
            check();
            alive.release(name);
        }

        @Override
        public String holder(String name) throws SQLException {
            return alive.holder(name);
        }
    }

    /** A source whose listing waits until the test lets it go. */
    static final class GatedSource extends InMemoryReleaseSource {
        final CountDownLatch listing = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);

        @Override
        public synchronized ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
            listing.countDown();
            try {
                open.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReleaseSourceException("interrupted", true);
            }
            return super.releases(pageToken);
        }
    }

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        leaseA = new MortalLease(new JdbcClusterLease(db));
        leaseB = new MortalLease(new JdbcClusterLease(db));
        storeA = new ReleaseStore(db);
        storeB = new ReleaseStore(db);
        cacheA = new ArtifactCache(dir.resolve("artifacts-a"));
        cacheB = new ArtifactCache(dir.resolve("artifacts-b"));
        a = new ReleaseIntake(storeA, cacheA, leaseA, Fixtures.intakeConfig(5, TTL_SECONDS), Clock.systemUTC());
        b = new ReleaseIntake(storeB, cacheB, leaseB, Fixtures.intakeConfig(5, TTL_SECONDS), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        a.stop();
        b.stop();
        cacheA.close();
        cacheB.close();
        db.close();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private static GatedSource gated(ReleaseIntake intake, String name) throws InterruptedException {
        GatedSource source = new GatedSource();
        source.release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 1)));
        intake.addSource(source, Map.of("name", name, ReleaseSource.TYPE, "memory"));
        assertTrue(source.listing.await(30, TimeUnit.SECONDS), "the new source triggered a sync");
        return source;
    }

    private String state(String syncId) {
        try {
            return storeB.syncs().sync(syncId).orElseThrow().state();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSyncRunsOnOneReplicaAndTheOtherAnswersItAsAlreadyRunning() throws Exception {
        GatedSource source = gated(a, "feed");
        SyncRun running = a.running().orElseThrow();
        assertEquals(leaseA.replicaId(), b.leaseHolder(), "the syncing replica holds the lease");

        ReleaseIntake.Started onB = b.startSync("api", "admin");
        assertTrue(onB.alreadyRunning(), "B runs no second sync while A's runs");
        assertEquals(running.id(), onB.run().id(), "B answers A's sync");
        assertEquals(running.id(), b.runningRowElsewhere().orElseThrow().id());

        // the renewals keep the lease past its ttl while the sync runs
        long renewedPast = System.nanoTime() + TimeUnit.SECONDS.toNanos(TTL_SECONDS + 1);
        while (System.nanoTime() < renewedPast) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        assertTrue(b.startSync("api", "admin").alreadyRunning(), "A renewed its lease while syncing");

        // a replica starting now (a restart of B's process) leaves A's sync running
        b.stop();
        b = new ReleaseIntake(storeB, cacheB, leaseB, Fixtures.intakeConfig(5, TTL_SECONDS), Clock.systemUTC());
        assertEquals("running", state(running.id()), "a starting replica abandons no sync a live replica runs");

        source.open.countDown();
        await("A's sync ends", () -> !running.isRunning());
        await("A gives the lease up", () -> {
            try {
                return b.leaseHolder() == null;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        ReleaseIntake.Started next = b.startSync("api", "admin");
        assertFalse(next.alreadyRunning(), "once A's sync ended B syncs at once");
        await("B's sync ends", () -> !next.run().isRunning());
        assertEquals("finished", state(running.id()));
        assertEquals("finished", state(next.run().id()));
    }

    @Test
    void whenTheSyncingReplicaDiesTheOtherTakesOverAfterTheTtl() throws Exception {
        gated(a, "feed");
        SyncRun orphan = a.running().orElseThrow();
        leaseA.die(); // no renewal, no release from now on: a killed process
        long died = System.nanoTime();

        assertTrue(b.startSync("api", "admin").alreadyRunning(), "within the ttl the dead replica's sync counts");
        ReleaseIntake.Started[] takeover = new ReleaseIntake.Started[1];
        await("B takes the sync over", () -> {
            try {
                ReleaseIntake.Started s = b.startSync("api", "admin");
                takeover[0] = s;
                return !s.alreadyRunning();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died);
        assertTrue(waitedMs >= TTL_SECONDS * 1000L - 1500, "taken over only once the lease expired, after " + waitedMs + " ms");
        assertNotEquals(orphan.id(), takeover[0].run().id());
        assertEquals(leaseB.replicaId(), b.leaseHolder());
        assertEquals("failed", state(orphan.id()), "the dead replica's sync is marked failed by the one that took over");
        await("B's sync ends", () -> !takeover[0].run().isRunning());
    }

    @Test
    void theManifestRenewalRunsOnOneReplicaAtATimeAndTheOtherRetriesAfterIt() throws Exception {
        // an artifact cached while no signer ran: the renewal job signs it
        InMemoryReleaseSource plain = new InMemoryReleaseSource();
        plain.release("agent", "1.0.0", null, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 1)));
        a.addSource(plain, Map.of("name", "plain", ReleaseSource.TYPE, "memory"));
        await("the artifact is cached unsigned", () -> {
            try {
                return a.running().isEmpty() && storeA.artifactsWithoutManifest().size() == 1;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });

        JdkEd25519Keys keys = new JdkEd25519Keys();
        ManifestService renewalB = new ManifestService(keys, keys, storeB, null, leaseB,
                Fixtures.manifestConfig(30, 7, TTL_SECONDS), Clock.systemUTC(), false);
        try {
            assertTrue(leaseA.tryAcquire(ManifestService.LEASE, Duration.ofSeconds(60)), "replica A runs the job now");
            renewalB.maintain();
            assertTrue(renewalB.runningElsewhere());
            assertEquals(1, storeB.artifactsWithoutManifest().size(), "B signs nothing while A's job runs");

            leaseA.release(ManifestService.LEASE);
            await("B's retry signs what A's run left", () -> {
                try {
                    return storeB.artifactsWithoutManifest().isEmpty();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(List.of(), storeA.artifactsWithoutManifest());
        } finally {
            renewalB.stop();
        }
    }
}
