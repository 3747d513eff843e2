package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.api.release.Channel;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import io.printmaster.store.impl.JdbcClusterLease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run state machine on real Derby: every step recorded and announced, the endings (succeeded, skipped, failed,
 * rolled_back, the restart hand-over), one run at a time also across replicas, crash recovery, the cadence, and a
 * bounded history. The applier is a test one until the real appliers are merged.
 */
class SelfUpdateRunsTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    AuditLog audit;
    Fixtures.Keys keys;
    Fixtures.Catalog catalog;
    Path root;
    Path running;
    final List<ServerEvent> events = new CopyOnWriteArrayList<>();
    final TestApplier applier = new TestApplier();
    final List<SelfUpdateService> services = new CopyOnWriteArrayList<>();
    Clock clock = Clock.fixed(Fixtures.NOW, ZoneOffset.UTC);

    /** What the appliers will do; records what it was given. */
    static final class TestApplier implements ReleaseApplier {
        volatile String mode = UpdateRun.MODE_HOT_SWAP;
        volatile SelfUpdateFailure failure;
        volatile CountDownLatch hold;
        final List<StagedRelease> applied = new CopyOnWriteArrayList<>();

        @Override
        public String modeFor(StagedRelease release) {
            return mode;
        }

        @Override
        public void apply(StagedRelease release, String mode, RunProgress progress) throws SelfUpdateFailure {
            applied.add(release);
            progress.status(UpdateRun.APPLYING, Map.of("step", "swapping"));
            CountDownLatch h = hold;
            if (h != null) {
                try {
                    h.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        keys = new Fixtures.Keys("key-1");
        catalog = new Fixtures.Catalog();
        root = dir.resolve("R");
        running = root.resolve("versions/1.4.2");
        Files.createDirectories(running);
    }

    @AfterEach
    void close() {
        services.forEach(SelfUpdateService::deactivate);
        db.close();
    }

    private SelfUpdateService service(SelfUpdateAvailability availability, JdbcClusterLease lease) throws Exception {
        SelfUpdateService s = new SelfUpdateService(db, audit, catalog, keys, lease, clock,
                new UpdateOrchestrator.Setup(SemanticVersion.parse("1.4.2"), Platform.parse("linux-amd64"), root, running),
                availability, new ReleaseStager());
        s.bind(events::add, applier);
        services.add(s);
        return s;
    }

    private SelfUpdateService service() throws Exception {
        return service(SelfUpdateAvailability.ENABLED, null);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private UpdateRun awaitStatus(SelfUpdateService s, String runId, String... statuses) {
        List<String> wanted = List.of(statuses);
        await("run " + runId + " is " + wanted, () -> {
            try {
                return wanted.contains(s.run(runId).orElseThrow().status());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return s.run(runId).orElseThrow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> statusesOf(String runId) {
        return events.stream().filter(e -> runId.equals(e.data().get("run_id"))).map(e -> (String) e.data().get("status"))
                .distinct().toList();
    }

    @Test
    void aHotSwapRunGoesThroughEveryStepToSucceeded() throws Exception {
        catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        SelfUpdateService s = service();
        UpdateRun run = s.startRun("admin");
        assertEquals(UpdateRun.PENDING, run.status());
        UpdateRun done = awaitStatus(s, run.runId(), UpdateRun.SUCCEEDED, UpdateRun.FAILED, UpdateRun.ROLLED_BACK);
        assertEquals(UpdateRun.SUCCEEDED, done.status(), done.errorCode() + " " + done.errorMessage());
        assertEquals("1.4.2", done.fromVersion());
        assertEquals("1.4.3", done.toVersion());
        assertEquals("hot-swap", done.mode());
        assertNotNull(done.finishedAt());
        await("the final event", () -> statusesOf(run.runId()).contains(UpdateRun.SUCCEEDED));
        assertEquals(List.of("pending", "checking", "downloading", "staging", "applying", "succeeded"),
                statusesOf(run.runId()), "one console event per transition, in order");
        for (ServerEvent e : events) {
            // the notifications bundle writes events with a plain mapper (no java.time module): text times only
            String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(e.data());
            assertTrue(json.contains("\"started_at\":\""), json);
        }
        StagedRelease staged = applier.applied.get(0);
        assertEquals(root.resolve("versions/1.4.3").toAbsolutePath(), staged.slot());
        assertEquals("1.4.3", staged.manifest().version());
        assertTrue(Files.isRegularFile(staged.slot().resolve("bin/pm-server")));
        assertTrue(done.detail().contains("swapping"), "the applier's progress is recorded: " + done.detail());
        assertEquals("server.update.run", audit.list(new AuditLog.Query(java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), 10)).get(0).action());
    }

    @Test
    void nothingNewerIsSkippedAndSaysWhy() throws Exception {
        SelfUpdateService s = service();
        UpdateRun done = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.SKIPPED, UpdateRun.FAILED);
        assertEquals(UpdateRun.SKIPPED, done.status());
        assertTrue(done.errorMessage().contains("no newer server release"), done.errorMessage());
        assertNull(done.errorCode());
    }

    @Test
    void aMissingFileIsDownloadFailedAndABadSignatureIsRefused() throws Exception {
        io.printmaster.server.releases.api.Artifact a = catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        catalog.files.clear();
        SelfUpdateService s = service();
        UpdateRun done = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.FAILED, UpdateRun.SUCCEEDED);
        assertEquals("DOWNLOAD_FAILED", done.errorCode());
        assertTrue(done.errorMessage().contains("not in the server's artifact cache"), done.errorMessage());

        catalog.publish(dir.resolve("rel2"), "1.4.4", new Fixtures.Keys("key-1")); // signed by a key this server lacks
        done = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.FAILED, UpdateRun.SUCCEEDED);
        assertEquals("SIGNATURE_INVALID", done.errorCode());
        assertFalse(Files.exists(root.resolve("versions/1.4.4")), "nothing staged from an unverified release");
        assertTrue(applier.applied.isEmpty());
        assertNotNull(a);
    }

    @Test
    void aFailedHotSwapIsRolledBackAndARefusedRestartFails() throws Exception {
        catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        SelfUpdateService s = service();
        applier.failure = new SelfUpdateFailure("HEALTH_CHECK_FAILED", "the new bundles did not become healthy");
        UpdateRun done = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.ROLLED_BACK, UpdateRun.FAILED,
                UpdateRun.SUCCEEDED);
        assertEquals(UpdateRun.ROLLED_BACK, done.status());
        assertEquals("HEALTH_CHECK_FAILED", done.errorCode());

        applier.mode = UpdateRun.MODE_RESTART;
        applier.failure = new SelfUpdateFailure("NOT_SUPERVISED", "no service manager restarts this server");
        done = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.ROLLED_BACK, UpdateRun.FAILED, UpdateRun.SUCCEEDED);
        assertEquals(UpdateRun.FAILED, done.status(), "nothing was changed before the refusal");
        assertEquals("NOT_SUPERVISED", done.errorCode());
    }

    @Test
    void aRestartRunIsLeftToTheHandOverAndOtherUnfinishedRunsAreInterrupted() throws Exception {
        catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        SelfUpdateService s = service();
        applier.mode = UpdateRun.MODE_RESTART;
        UpdateRun handedOver = awaitStatus(s, s.startRun("admin").runId(), UpdateRun.APPLYING);
        await("the applier ran", () -> !applier.applied.isEmpty());
        assertEquals("restart", s.run(handedOver.runId()).orElseThrow().mode());
        // a second run is refused while the hand-over is open
        assertThrows(SelfUpdateStore.ActiveRunException.class, () -> s.startRun("admin"));

        // "the process restarts": a new service on the same database keeps the hand-over open
        s.deactivate();
        SelfUpdateService after = service();
        assertEquals(UpdateRun.APPLYING, after.run(handedOver.runId()).orElseThrow().status());

        // a run a crash left in staging is ended as INTERRUPTED at the next start
        finishDirectly(handedOver.runId());
        UpdateRun stuck = new SelfUpdateStore(db, audit, clock).createRun("1.4.2", "admin", "r1", null);
        new SelfUpdateStore(db, audit, clock).advance(stuck.runId(), UpdateRun.STAGING, "1.4.3", null, null);
        SelfUpdateService restarted = service();
        UpdateRun ended = restarted.run(stuck.runId()).orElseThrow();
        assertEquals(UpdateRun.FAILED, ended.status());
        assertEquals("INTERRUPTED", ended.errorCode());
    }

    @Test
    void aLostHandOverOrAnOrphanIsEndedButNotARunAnotherReplicaCarries() throws Exception {
        SelfUpdateStore store = new SelfUpdateStore(db, audit, clock);
        UpdateRun handOver = store.createRun("1.4.2", "admin", "gone", null);
        store.advance(handOver.runId(), UpdateRun.APPLYING, "1.4.3", UpdateRun.MODE_RESTART, null);

        // another live replica holds the lease: what is unfinished may be its run, nothing is ended
        JdbcClusterLease other = new JdbcClusterLease(db);
        assertTrue(other.tryAcquire(RunLease.NAME, Duration.ofMinutes(5)));
        store.finish(handOver.runId(), UpdateRun.SUCCEEDED, null, null);
        UpdateRun carried = store.createRun("1.4.2", "x", "other", null);
        service(SelfUpdateAvailability.ENABLED, new JdbcClusterLease(db));
        assertEquals(UpdateRun.PENDING, store.find(carried.runId()).orElseThrow().status());
        other.release(RunLease.NAME);
        store.finish(carried.runId(), UpdateRun.SUCCEEDED, null, null);

        // a hand-over that never reported back within the timeout is ended, so it does not block every later run
        UpdateRun lost = store.createRun("1.4.2", "admin", "gone", null);
        store.advance(lost.runId(), UpdateRun.APPLYING, "1.4.3", UpdateRun.MODE_RESTART, null);
        clock = Clock.fixed(Fixtures.NOW.plus(SelfUpdateStore.HANDOVER_TIMEOUT).plusSeconds(1), ZoneOffset.UTC);
        SelfUpdateService later = service(SelfUpdateAvailability.ENABLED, new JdbcClusterLease(db));
        UpdateRun ended = later.run(lost.runId()).orElseThrow();
        assertEquals(UpdateRun.FAILED, ended.status());
        assertEquals("INTERRUPTED", ended.errorCode());
        assertTrue(ended.errorMessage().contains("did not report back"), ended.errorMessage());
    }

    private void finishDirectly(String runId) throws Exception {
        new SelfUpdateStore(db, audit, clock).finish(runId, UpdateRun.SUCCEEDED, null, null);
    }

    @Test
    void oneRunAtATimeAlsoAcrossReplicas() throws Exception {
        catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        applier.hold = new CountDownLatch(1);
        SelfUpdateService a = service(SelfUpdateAvailability.ENABLED, new JdbcClusterLease(db));
        SelfUpdateService b = service(SelfUpdateAvailability.ENABLED, new JdbcClusterLease(db));
        UpdateRun first = a.startRun("admin");
        await("the first run applies", () -> !applier.applied.isEmpty());
        SelfUpdateStore.ActiveRunException here = assertThrows(SelfUpdateStore.ActiveRunException.class,
                () -> a.startRun("admin"));
        assertEquals(first.runId(), here.active().runId());
        SelfUpdateStore.ActiveRunException there = assertThrows(SelfUpdateStore.ActiveRunException.class,
                () -> b.startRun("other-admin"));
        assertEquals(first.runId(), there.active().runId(), "the other replica names the running run");
        applier.hold.countDown();
        awaitStatus(a, first.runId(), UpdateRun.SUCCEEDED);
        await("the lease is given up", () -> {
            try {
                UpdateRun next = b.startRun("other-admin");
                return next != null;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aContainerRefusesToRunAndSaysWhy() throws Exception {
        SelfUpdateService s = service(new SelfUpdateAvailability(false, "CONTAINER", "runs in Docker: docker compose pull"),
                null);
        SelfUpdateService.DisabledException e = assertThrows(SelfUpdateService.DisabledException.class,
                () -> s.startRun("admin"));
        assertEquals("CONTAINER", e.code());
        assertTrue(s.runs(null, 10).isEmpty(), "no run recorded");
        assertNull(s.nextCheckAt(s.policy()), "no scheduled checks either");
    }

    @Test
    void theCadenceChecksOnceAPeriodAndRecordsNoRunWhenNothingIsNewer() throws Exception {
        SelfUpdateService s = service();
        s.scheduledCheck();
        assertTrue(s.runs(null, 10).isEmpty(), "cadence disabled: no check");
        assertNull(s.nextCheckAt(s.policy()));

        s.savePolicy(new UpdatePolicy(Cadence.DAILY, PinStrategy.MINOR, false, null, Channel.STABLE), "admin");
        assertEquals(Fixtures.NOW, s.nextCheckAt(s.policy()), "due at once after the cadence is chosen");
        s.scheduledCheck();
        assertTrue(s.runs(null, 10).isEmpty(), "nothing newer: no run");
        assertEquals(Fixtures.NOW, s.policy().lastCheckAt());
        assertEquals(Fixtures.NOW.plus(Duration.ofDays(1)), s.nextCheckAt(s.policy()));

        catalog.publish(dir.resolve("rel"), "1.4.3", keys);
        s.scheduledCheck();
        assertTrue(s.runs(null, 10).isEmpty(), "not due yet");
        clock = Clock.fixed(Fixtures.NOW.plus(Duration.ofDays(1)), ZoneOffset.UTC);
        SelfUpdateService tomorrow = service();
        tomorrow.scheduledCheck();
        List<UpdateRun> runs = tomorrow.runs(null, 10);
        assertEquals(1, runs.size());
        assertEquals("scheduler", runs.get(0).triggeredBy());
        // the manifest was valid for 30 days from NOW: tomorrow it still is
        assertEquals(UpdateRun.SUCCEEDED, awaitStatus(tomorrow, runs.get(0).runId(), UpdateRun.SUCCEEDED,
                UpdateRun.FAILED).status());
    }

    @Test
    void theHistoryIsPagedAndBounded() throws Exception {
        SelfUpdateStore store = new SelfUpdateStore(db, audit, clock);
        for (int i = 0; i < SelfUpdateStore.KEEP_RUNS + 5; i++) {
            UpdateRun r = store.createRun("1.4.2", "admin", "r1", null);
            store.finish(r.runId(), UpdateRun.SKIPPED, null, "nothing newer");
        }
        int count = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PM_SERVER_UPDATE_RUN");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertEquals(SelfUpdateStore.KEEP_RUNS, count, "the oldest runs are deleted");
        List<UpdateRun> first = store.page(null, 150);
        List<UpdateRun> second = store.page(first.get(149).seq(), 150);
        assertEquals(50, second.size());
        assertTrue(first.get(0).seq() > first.get(1).seq(), "newest first");
        assertTrue(second.get(0).seq() < first.get(149).seq());
    }
}
