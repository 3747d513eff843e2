package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.core.policy.UpdatePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The update run against a real installation folder, real signed manifests, real tar.gz releases and a real HTTP
 * server: every run state and error code of docs/api.md (the telemetry route) is reached here by the path that sets it in
 * production. Restarts are recorded, and the trampoline's start-up step ({@code bin/pm-agent}, tested on its own in
 * {@code AgentLaunchSlotsIT}) is replayed between the "processes".
 */
class UpdateRunnerTest {
    @TempDir
    Path root;

    private UpdateFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new UpdateFixture(root);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    /** Simulates the JVM halting at a crash point. */
    static final class Halted extends Error {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aFullInstallIsHandedToATrialWhichCommitsAfterItsHealthCheck() throws Exception {
        f.offer("1.1.0", "1.1.0");
        UpdateRunner old = f.base();
        RunResult r = old.run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(List.of("pending", "downloading", "staging", "applying", "restarting"), f.statuses());
        assertEquals(f.served.values().iterator().next().length, f.telemetry.get(2).path("size_bytes").asLong());
        assertTrue(f.telemetry.get(2).has("download_time_ms"), f.telemetry.get(2).toString());
        assertEquals("1.1.0", Files.readString(root.resolve("versions/1.1.0/VERSION")));
        assertTrue(Files.isExecutable(root.resolve("versions/1.1.0/bin/pm-agent")), "the launcher stays executable");
        assertEquals(Optional.of("1.1.0"), f.pointer("trial"));
        assertEquals(Optional.empty(), f.pointer("current"), "nothing is committed before the new version is healthy");
        assertEquals("1.0.0", Files.readString(root.resolve("VERSION")), "the running version is never touched");
        assertEquals(List.of("1.0.0"), f.restarts);
        assertEquals("restarting", new WorkerFiles(root.resolve("data/update")).marker().orElseThrow().phase().name());

        assertEquals("1.1.0", f.trampoline());
        UpdateRunner trial = f.runner("1.1.0", f.programOf("1.1.0"));
        assertEquals(Optional.empty(), trial.recover());

        assertEquals(Optional.of("1.1.0"), f.pointer("current"));
        assertEquals(Optional.empty(), f.pointer("booting"));
        assertEquals("succeeded", f.lastTelemetry().path("status").asText());
        assertEquals("1.1.0", f.lastTelemetry().path("current_version").asText());
        WorkerFiles files = new WorkerFiles(root.resolve("data/update"));
        assertTrue(files.marker().isEmpty(), "the run is finished");
        assertEquals(3, files.state().releaseCounter(), "the installed manifest's counter is remembered");
        assertEquals(RunState.IDLE, trial.state());
    }

    @Test
    void aTrialThatFailsItsHealthCheckGoesBackAndTheOldVersionReportsRolledBack() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.base().run("run-2", false, Optional.empty());
        f.trampoline();
        f.unhealthy = Optional.of("bundle io.printmaster.test.broken 1.0.0 is installed, not active");
        f.runner("1.1.0", f.programOf("1.1.0")).recover();

        assertEquals(Optional.empty(), f.pointer("booting"), "the next start boots the previous version");
        assertEquals(Optional.empty(), f.pointer("current"));
        assertEquals(List.of("1.0.0", "1.1.0"), f.restarts, "the trial asked for the restart back");
        assertEquals("HEALTH_CHECK", f.lastTelemetry().path("error_code").asText());

        assertEquals("1.0.0", f.trampoline());
        UpdateRunner back = f.base();
        back.recover();
        assertEquals("rolled_back", f.lastTelemetry().path("status").asText());
        assertEquals("HEALTH_CHECK", f.lastTelemetry().path("error_code").asText());
        assertTrue(f.lastTelemetry().path("error_message").asText().contains("io.printmaster.test.broken"),
                f.lastTelemetry().toString());
        assertEquals("1.0.0", f.lastTelemetry().path("current_version").asText());

        // a broken release is not installed and rolled back again at every scheduled check; a forced run may
        RunResult again = back.run("run-3", false, Optional.empty());
        assertEquals(RunState.SKIPPED, again.state());
        assertTrue(again.errorMessage().contains("failed its health check"), again.errorMessage());
        assertEquals(RunState.RESTARTING, back.run("run-4", true, Optional.empty()).state());
    }

    @Test
    void aTrialThatNeverConfirmsIsAbandonedByTheTrampolineAndReportedAsRestartFailed() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.base().run("run-5", false, Optional.empty());
        assertEquals("1.1.0", f.trampoline()); // the trial starts ... and dies before its health check
        assertEquals("1.0.0", f.trampoline()); // the next start abandons it
        assertEquals(Optional.of("1.1.0"), f.pointer("abandoned"));

        f.base().recover();
        assertEquals("rolled_back", f.lastTelemetry().path("status").asText());
        assertEquals("RESTART_FAILED", f.lastTelemetry().path("error_code").asText());
        assertTrue(new WorkerFiles(root.resolve("data/update")).marker().isEmpty());
    }

    @Test
    void whenNoServiceManagerRunsTheAgentNothingIsSwitched() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.restartFailure = new UpdateFailure("RESTART_FAILED", "no service manager runs this agent");
        RunResult r = f.base().run("run-6", false, Optional.empty());
        assertEquals(RunState.ROLLED_BACK, r.state());
        assertEquals("RESTART_FAILED", r.errorCode());
        assertEquals(Optional.empty(), f.pointer("trial"), "the trial is withdrawn");
        assertEquals("1.0.0", f.trampoline());
    }

    @Test
    void aTrialWithNothingToGoBackToStaysAndReportsRollbackFailed() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.base().run("run-7", false, Optional.empty());
        f.trampoline();
        Files.delete(root.resolve("bin/pm-agent")); // the previous version cannot be started any more
        f.unhealthy = Optional.of("the server check-in failed: HTTP 503");
        f.runner("1.1.0", f.programOf("1.1.0")).recover();
        assertEquals("failed", f.lastTelemetry().path("status").asText());
        assertEquals("ROLLBACK_FAILED", f.lastTelemetry().path("error_code").asText());
        assertEquals(Optional.of("1.1.0"), f.pointer("current"), "the only bootable version stays");
    }

    @Test
    void aRollbackRestartThatFailsIsRollbackFailed() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.base().run("run-8", false, Optional.empty());
        f.trampoline();
        f.unhealthy = Optional.of("bundle x is installed, not active");
        f.restartFailure = new UpdateFailure("RESTART_FAILED", "systemctl: access denied");
        f.runner("1.1.0", f.programOf("1.1.0")).recover();
        assertEquals("ROLLBACK_FAILED", f.lastTelemetry().path("error_code").asText());
        assertEquals("1.0.0", f.trampoline(), "the next start still boots the previous version");
    }

    @Test
    void tooLittleDiskFailsBeforeAnythingIsDownloaded() throws Exception {
        byte[] archive = f.offer("1.1.0", "1.1.0");
        f.freeBytes = archive.length;
        RunResult r = f.base().run("run-9", false, Optional.empty());
        assertEquals(RunState.FAILED, r.state());
        assertEquals("DISK_SPACE", r.errorCode());
        assertEquals(0, f.downloadRequests.get(), "nothing was downloaded");
        assertFalse(Files.exists(root.resolve("data/update/run.json")));
    }

    @Test
    void bytesThatDoNotMatchTheSignedHashAreNeverInstalled() throws Exception {
        byte[] good = UpdateFixture.release("1.1.0", "1.1.0");
        byte[] evil = good.clone();
        evil[evil.length / 2] ^= 1;
        f.offerBytes("1.1.0", good, evil);
        RunResult r = f.base().run("run-10", false, Optional.empty());
        assertEquals("HASH_MISMATCH", r.errorCode());
        assertFalse(Files.exists(root.resolve("versions/1.1.0")));
        assertEquals(Optional.empty(), f.pointer("trial"));
    }

    @Test
    void aDownloadTheServerRefusesIsDownloadFailed() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.served.clear();
        RunResult r = f.base().run("run-11", false, Optional.empty());
        assertEquals(RunState.FAILED, r.state());
        assertEquals("DOWNLOAD_FAILED", r.errorCode());
        assertTrue(r.errorMessage().contains("404"), r.errorMessage());
    }

    @Test
    void aManifestSignedByAnUntrustedKeyIsAManifestError() throws Exception {
        f.offer("1.1.0", "1.1.0");
        KeyMaterial other = f.jdk.generateKeyPair();
        byte[] manifest = Base64.getDecoder().decode(f.nextCheckIn.answer().orElseThrow().path("update")
                .path("manifest_base64").asText());
        f.offerManifest("1.1.0", manifest, Base64.getEncoder().encodeToString(f.jdk.sign(other.privateKey(), manifest)));
        RunResult r = f.base().run("run-12", false, Optional.empty());
        assertEquals("MANIFEST_ERROR", r.errorCode());
        assertEquals(0, f.downloadRequests.get());
    }

    @Test
    void anOlderReleaseCounterThanTheInstalledOneIsAReplay() throws Exception {
        new WorkerFiles(root.resolve("data/update")).saveState(PersistentState.EMPTY.withCounter(9));
        f.offer("1.1.0", "1.1.0");
        RunResult r = f.base().run("run-13", false, Optional.empty());
        assertEquals("MANIFEST_ERROR", r.errorCode());
        assertTrue(r.errorMessage().contains("replayed"), r.errorMessage());
    }

    @Test
    void aFreshAgentStartsAtTheInstallersReleaseCounterAndKeepsIt() throws Exception {
        Files.writeString(root.resolve("etc/release.json"), "{\"component\":\"agent\",\"version\":\"1.0.0\","
                + "\"release_counter\":7}\n");
        f.offer("1.1.0", "1.1.0"); // signed with release_counter 3: older than the installed release
        RunResult r = f.base().run("run-13b", false, Optional.empty());
        assertEquals("MANIFEST_ERROR", r.errorCode());
        assertTrue(r.errorMessage().contains("release_counter 3 is lower than the installed 7"), r.errorMessage());
        assertEquals(0, f.downloadRequests.get());
        assertEquals(7, new WorkerFiles(root.resolve("data/update")).state().releaseCounter(),
                "the floor is recorded, so removing the file does not lower it");
        Files.delete(root.resolve("etc/release.json"));
        assertEquals("MANIFEST_ERROR", f.base().run("run-13c", false, Optional.empty()).errorCode());

        Files.writeString(root.resolve("etc/release.json"), "{\"component\":\"agent\",\"release_counter\":\"7\"}");
        RunResult unusable = f.base().run("run-13d", false, Optional.empty());
        assertEquals("MANIFEST_ERROR", unusable.errorCode());
        assertTrue(unusable.errorMessage().contains("release_counter is not a whole number"), unusable.errorMessage());
    }

    @Test
    void aReleaseWhoseTreeIsNotTheSignedVersionFailsStaging() throws Exception {
        f.offer("1.1.0", "9.9.9");
        RunResult r = f.base().run("run-14", false, Optional.empty());
        assertEquals("STAGING_FAILED", r.errorCode());
        assertTrue(r.errorMessage().contains("9.9.9"), r.errorMessage());
        assertFalse(Files.exists(root.resolve("versions/1.1.0")));
        assertFalse(Files.exists(root.resolve("versions/.staging-1.1.0")) && f.pointer("trial").isPresent());
    }

    @Test
    void aHandOverThatCannotBeWrittenIsApplyFailed() throws Exception {
        f.offer("1.1.0", "1.1.0");
        Files.createDirectories(root.resolve("versions/trial/blocked")); // the pointer's place is taken
        RunResult r = f.base().run("run-15", false, Optional.empty());
        assertEquals(RunState.FAILED, r.state());
        assertEquals("APPLY_FAILED", r.errorCode());
        assertTrue(f.restarts.isEmpty());
    }

    @Test
    void disabledUpdatesAreSkippedWithPolicyDisabled() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.settings = UpdateFixture.settings(PolicySource.DISABLED, Optional.empty());
        RunResult r = f.base().run("run-16", true, Optional.empty());
        assertEquals(RunState.SKIPPED, r.state());
        assertEquals("POLICY_DISABLED", r.errorCode());
        assertEquals("skipped", f.lastTelemetry().path("status").asText());
    }

    @Test
    void aClosedWindowSkipsACheckButNotAForcedRun() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.settings = UpdateFixture.settings(PolicySource.FLEET, Optional.of(UpdateFixture.windowClosedAtNoon()));
        RunResult r = f.base().run("run-17", false, Optional.empty());
        assertEquals(RunState.SKIPPED, r.state());
        assertEquals("OUTSIDE_WINDOW", r.errorCode());
        assertTrue(r.errorMessage().contains("2026-11-27T02:00:00Z"), r.errorMessage());
        assertEquals(RunState.RESTARTING, f.base().run("run-18", true, Optional.empty()).state());
    }

    @Test
    void anUnreachableServerIsAServerError() throws Exception {
        f.nextCheckIn = new CheckIn(UpdateFixture.NOW, 0, Optional.empty(), Optional.of("connection refused"));
        RunResult r = f.base().run("run-19", false, Optional.empty());
        assertEquals(RunState.FAILED, r.state());
        assertEquals("SERVER_ERROR", r.errorCode());
        assertTrue(r.errorMessage().contains("connection refused"));
    }

    @Test
    void nothingOfferedIsUpToDate() throws Exception {
        f.offerNothing();
        RunResult r = f.base().run("run-20", false, Optional.empty());
        assertEquals(RunState.UP_TO_DATE, r.state());
        assertEquals(null, r.targetVersion());
        assertEquals(List.of("up_to_date"), f.statuses(), "every check is reported, one that finds nothing too");
        assertEquals("run-20", f.lastTelemetry().path("run_id").asText());
        assertEquals("1.0.0", f.lastTelemetry().path("current_version").asText());
        assertTrue(f.lastTelemetry().path("target_version").isMissingNode(), f.lastTelemetry().toString());
        assertEquals("up_to_date", new WorkerFiles(f.data.resolve("update")).state().lastResult().state(),
                "the local status shows the check's result");
    }

    @Test
    void aCancelDuringTheDownloadKeepsThePartialFileAndInstallsNothing() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.crashAt = "download";
        UpdateRunner runner = f.base();
        f.halt = runner::cancel; // the server's cancel_update arrives halfway
        RunResult r = runner.run("run-21", false, Optional.empty());
        assertEquals(RunState.CANCELLED, r.state());
        assertEquals("cancelled", f.lastTelemetry().path("status").asText());
        assertFalse(Files.exists(root.resolve("versions/1.1.0")));
        assertFalse(Files.exists(root.resolve("data/update/run.json")));
    }

    @Test
    void aCrashMidDownloadResumesWithARangeRequestAtTheNextStart() throws Exception {
        byte[] archive = f.offer("1.1.0", "1.1.0");
        f.crashAt = "download";
        f.halt = () -> {
            throw new Halted();
        };
        UpdateRunner crashing = f.base();
        assertThrows(Halted.class, () -> crashing.run("run-22", false, Optional.empty()));
        Path partial = root.resolve("data/update/downloads/1.1.0-linux-amd64.tar.gz.partial");
        long kept = Files.size(partial);
        assertTrue(kept * 2 >= archive.length && kept < archive.length, "half the bytes are on disk: " + kept);

        f.crashAt = "";
        UpdateRunner restarted = f.base();
        RunMarker resume = restarted.recover().orElseThrow();
        assertEquals("run-22", resume.runId());
        assertEquals(RunState.RESTARTING, restarted.run(resume.runId(), resume.forced(), Optional.empty()).state());
        assertEquals(List.of("bytes=" + kept + "-"), f.rangeHeaders, "only the missing bytes were asked for");
        assertTrue(f.statuses().contains("staging"));
        assertEquals(kept, f.telemetry.stream().filter(e -> e.path("status").asText().equals("staging"))
                .findFirst().orElseThrow().path("metadata").path("resumed_from_bytes").asLong());
    }

    @Test
    void aCrashMidStagingLeavesTheOldVersionAndTheNextStartFinishes() throws Exception {
        f.offer("1.1.0", "1.1.0");
        f.crashAt = "staging";
        f.halt = () -> {
            throw new Halted();
        };
        assertThrows(Halted.class, () -> f.base().run("run-23", false, Optional.empty()));
        assertEquals("1.0.0", f.trampoline(), "the old version boots");

        f.crashAt = "";
        UpdateRunner restarted = f.base();
        RunMarker resume = restarted.recover().orElseThrow();
        assertFalse(Files.exists(root.resolve("versions/.staging-1.1.0")), "the unfinished staging folder is gone");
        assertEquals(RunState.RESTARTING, restarted.run(resume.runId(), resume.forced(), Optional.empty()).state());
        assertEquals("1.1.0", f.trampoline());
    }

    @Test
    void everyStateAndErrorCodeOfTheDesignIsReachedByThisSuite() {
        // the names the tests above assert, checked against docs/api.md (the telemetry route): a new state or code needs a test
        Set<String> states = new TreeSet<>();
        for (RunState s : RunState.values()) {
            states.add(s.wireName());
        }
        assertEquals(new TreeSet<>(List.of("idle", "checking", "pending", "downloading", "staging", "applying",
                "restarting", "succeeded", "failed", "skipped", "rolled_back", "cancelled", "up_to_date")), states);
    }
}
