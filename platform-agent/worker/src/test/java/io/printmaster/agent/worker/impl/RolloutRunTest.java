package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.core.policy.UpdatePolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the worker follows a server that enforces rollouts: the run's check-in carries its run id, a hold
 * ({@code retry_after_seconds}) moves the next check, an offer of a rollout is recorded, a rollback manifest is
 * accepted only along the way the agent came (and really installs, into an existing slot or the process's own
 * program folder), and an abort while downloading cancels the run. Real installation folders, real signed manifests,
 * a real HTTP server for the downloads.
 */
class RolloutRunTest {
    private static final String WORKER = "bundle/io.printmaster.agent.worker.jar";
    private static final String LOCALUI = "bundle/io.printmaster.agent.localui.jar";

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

    private WorkerFiles files() {
        return new WorkerFiles(root.resolve("data/update"));
    }

    private static CheckIn answered(ObjectNode answer) {
        return new CheckIn(UpdateFixture.NOW, 200, Optional.of(answer), Optional.empty());
    }

    private static ObjectNode nothing(long retryAfterSeconds) {
        ObjectNode answer = UpdateFixture.JSON.createObjectNode();
        answer.put("agent_id", "agent-1").put("update_available", false).put("latest_version", "1.0.0")
                .put("retry_after_seconds", retryAfterSeconds);
        return answer;
    }

    /** The agent goes from 1.0.0 (base install) to 1.1.0 through rollout {@code rol_1}, by a full install. */
    private UpdateRunner at110ThroughRollout() throws Exception {
        f.offerRolloutId = "rol_1";
        f.offer("1.1.0", "1.1.0");
        assertEquals(RunState.RESTARTING, f.base().run("run-up", false, Optional.empty()).state());
        assertEquals("1.1.0", f.trampoline());
        UpdateRunner trial = f.runner("1.1.0", f.programOf("1.1.0"));
        trial.recover();
        assertEquals(Optional.of("1.1.0"), f.pointer("current"));
        return trial;
    }

    /** The server signs 1.0.0 afresh for a rollback: a higher counter, {@code downgrade}, bound to {@code rollout}. */
    private void offerRollback(String version, String rollout, long counter) throws Exception {
        f.releaseCounter = counter;
        f.manifestExtras = rollout == null ? Map.of("downgrade", true) : Map.of("downgrade", true, "rollout_id", rollout);
        f.offerRolloutId = rollout;
        f.offer(version, version);
    }

    @Test
    void everyRunChecksInWithItsOwnRunIdAlsoWhenAServerCommandStartedIt() throws Exception {
        f.offerNothing();
        UpdateRunner runner = f.base();
        runner.run("run-a", false, Optional.empty());
        // a command arrived with a periodic check-in (no run id): the run asks again with its own
        runner.run("run-b", true, Optional.of(f.nextCheckIn));
        assertEquals(List.of("run-a", "run-b"), f.checkInRunIds);
    }

    @Test
    void aHoldOfTheServerSetsWhenTheNextCheckIsAndSaysSo() throws Exception {
        f.nextCheckIn = answered(nothing(300));
        UpdateRunner runner = f.base();
        RunResult r = runner.run("run-1", false, Optional.empty());
        assertEquals(RunState.UP_TO_DATE, r.state());
        assertEquals(Optional.of(UpdateFixture.NOW.plusSeconds(300)), runner.retryAt());
        assertTrue(r.errorMessage().contains("holds this agent back"), r.errorMessage());

        f.nextCheckIn = answered(nothing(0));
        runner.run("run-2", false, Optional.empty());
        assertEquals(Optional.empty(), runner.retryAt(), "no hold, no early check");
    }

    @Test
    void aRunsCheckInSaysWhenTheCheckAfterItIs() {
        Instant now = UpdateFixture.NOW;
        var weekly = UpdateFixture.settings(PolicySource.FLEET, Optional.of(UpdatePolicy.defaults()));
        Instant next = CheckPlanner.afterCheckAt(weekly, true, now).orElseThrow();
        Instant due = now.plus(Duration.ofDays(7));
        assertTrue(!next.isBefore(due) && !next.isAfter(due.plus(CheckSchedule.MAX_JITTER)), next.toString());
        assertEquals(Optional.empty(), CheckPlanner.afterCheckAt(UpdateFixture.settings(PolicySource.DISABLED,
                Optional.empty()), true, now), "no scheduled check, nothing to say");
    }

    @Test
    void thePlannerTakesTheHoldWhenItIsEarlierAndKeepsTheMaintenanceWindow() {
        Instant now = UpdateFixture.NOW;
        CheckPlanner planner = new CheckPlanner(new CheckSchedule(CheckScheduleTest.fixed(0.5)));
        var open = UpdateFixture.settings(PolicySource.FLEET, Optional.of(UpdatePolicy.defaults()));
        Instant regular = planner.next(open, true, Optional.of(now), now).orElseThrow();
        assertTrue(regular.isAfter(now.plus(Duration.ofDays(6))), regular.toString());

        RunResult upToDate = new RunResult("run-1", RunState.UP_TO_DATE, null, null, "up to date", now);
        planner.ended(upToDate, Optional.of(now.plusSeconds(300)));
        assertEquals(Optional.of(now.plusSeconds(300)), planner.next(open, true, Optional.of(now), now));
        assertEquals(Optional.of(now.plusSeconds(300)), planner.next(open, true, Optional.of(now), now.plusSeconds(60)),
                "the same time at every re-plan");

        // the window (02:00-04:00 UTC) is closed at 12:05: the held check waits for its next opening, with jitter
        var closed = UpdateFixture.settings(PolicySource.FLEET, Optional.of(UpdateFixture.windowClosedAtNoon()));
        planner.ended(upToDate, Optional.of(now.plusSeconds(300)));
        Instant held = planner.next(closed, true, Optional.of(now), now).orElseThrow();
        assertEquals(Instant.parse("2026-11-27T02:30:00Z"), held, "the opening plus half of the jitter bound (1 h)");

        // a hold later than the regular check changes nothing
        planner.ended(upToDate, Optional.of(now.plus(Duration.ofDays(30))));
        assertEquals(Optional.of(regular), planner.next(open, true, Optional.of(now), now));

        planner.ended(upToDate, Optional.empty());
        assertEquals(Optional.of(regular), planner.next(open, true, Optional.of(now), now));
    }

    @Test
    void anOfferOfARolloutIsRecordedAndTheListKeepsTheNewestTwenty() throws Exception {
        at110ThroughRollout();
        assertEquals(List.of(new PersistentState.RolloutParticipation("rol_1", "1.0.0", "1.1.0", UpdateFixture.NOW)),
                files().state().rollouts());
        JsonNode stored = UpdateFixture.JSON.readTree(files().stateFile().toFile());
        assertEquals("rol_1", stored.path("rollouts").get(0).path("rollout_id").asText(), stored.toString());
        assertEquals("1.0.0", stored.path("rollouts").get(0).path("from_version").asText());

        PersistentState s = files().state();
        for (int i = 0; i < 25; i++) {
            s = s.withRollout("rol_x" + i, "1.0.0", "1.1.0", UpdateFixture.NOW);
        }
        s = s.withRollout("rol_x24", "1.0.1", "1.1.1", UpdateFixture.NOW);
        assertEquals(PersistentState.MAX_ROLLOUTS, s.rollouts().size());
        assertEquals("rol_x5", s.rollouts().get(0).rolloutId(), "the oldest went");
        assertEquals(new PersistentState.RolloutParticipation("rol_x24", "1.0.1", "1.1.1", UpdateFixture.NOW),
                s.rollouts().get(19), "a retried rollout is recorded once, as the latest");
        assertTrue(s.rollout("rol_1").isEmpty());
    }

    @Test
    void aRollbackOfTheRolloutTheAgentCameByInstallsThePreviousVersionIntoItsExistingSlot() throws Exception {
        UpdateRunner at110 = at110ThroughRollout();
        // an old slot of 1.0.0 is there (from an installation before): the rollback replaces it whole
        Files.createDirectories(root.resolve("versions/1.0.0"));
        Files.writeString(root.resolve("versions/1.0.0/stale.txt"), "left over");
        // and 1.0.0 once failed here: a rollback to it is not blocked by that
        files().saveState(files().state().withFailed("1.0.0"));
        offerRollback("1.0.0", "rol_1", 4);

        RunResult r = at110.run("run-back", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(Optional.of("1.0.0"), f.pointer("trial"));
        assertEquals("1.0.0", Files.readString(root.resolve("versions/1.0.0/VERSION")));
        assertFalse(Files.exists(root.resolve("versions/1.0.0/stale.txt")), "the slot is the release's, whole");
        assertEquals("1.0.0", f.trampoline());
        f.runner("1.0.0", f.programOf("1.0.0")).recover();
        assertEquals(Optional.of("1.0.0"), f.pointer("current"));
        assertEquals("succeeded", f.lastTelemetry().path("status").asText());
        assertEquals(4, files().state().releaseCounter(), "the rollback's counter is the installed one now");
    }

    @Test
    void aReleaseThatFailedHereIsSkippedAndTheSkipIsReportedSoTheServerFreesTheSlot() throws Exception {
        files().saveState(files().state().withFailed("1.1.0"));
        f.offerRolloutId = "rol_1";
        f.offer("1.1.0", "1.1.0");

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.SKIPPED, r.state(), r.toString());
        assertEquals("skipped", f.lastTelemetry().path("status").asText(), "a terminal status frees the slot");
        assertEquals("run-1", f.lastTelemetry().path("run_id").asText());
        assertEquals(0, f.downloadRequests.get());
    }

    @Test
    void aDowngradeNotBoundToTheWayTheAgentCameIsRefusedAndNothingIsInstalled() throws Exception {
        UpdateRunner at110 = at110ThroughRollout();
        int downloads = f.downloadRequests.get();

        offerRollback("1.0.0", "rol_other", 4);
        assertRefused(at110.run("run-1", false, Optional.empty()), "rollout rol_other, which this agent did not "
                + "update through");
        offerRollback("0.9.0", "rol_1", 4);
        assertRefused(at110.run("run-2", false, Optional.empty()), "came to 1.1.0 from 1.0.0");
        offerRollback("1.0.0", null, 4);
        assertRefused(at110.run("run-3", false, Optional.empty()), "without rollout_id");
        offerRollback("1.0.0", "rol_1", 2);
        assertRefused(at110.run("run-4", false, Optional.empty()), "lower than the installed");
        // the agent does not run the version the rollout brought (it went elsewhere since)
        offerRollback("1.0.0", "rol_1", 4);
        assertRefused(f.runner("1.2.0", f.programOf("1.1.0")).run("run-5", false, Optional.empty()),
                "this agent runs 1.2.0");
        // Update now forces past the window and failed versions, never past this
        offerRollback("1.0.0", "rol_other", 4);
        assertRefused(at110.run("run-6", true, Optional.empty()), "did not update through");

        assertEquals(downloads, f.downloadRequests.get(), "nothing was downloaded");
        assertEquals(Optional.empty(), f.pointer("trial"));
        assertFalse(Files.exists(root.resolve("versions/0.9.0")));
    }

    private void assertRefused(RunResult r, String why) {
        assertEquals(RunState.FAILED, r.state(), r.toString());
        assertEquals("MANIFEST_ERROR", r.errorCode(), r.toString());
        assertTrue(r.errorMessage().contains(why), r.errorMessage());
    }

    @Test
    void aRollbackOfAHotSwapSwapsBackToTheProgramFolderTheProcessStartedFrom() throws Exception {
        Path program = root.resolve("versions/1.0.0");
        UpdateFixture.writeProgram(program, "1.0.0");
        byte[] oldWorker = Files.readAllBytes(program.resolve(WORKER));
        byte[] localui = "localui 1.0.0".getBytes(StandardCharsets.UTF_8);
        Files.write(program.resolve(LOCALUI), localui);
        byte[] newWorker = ("bundle 1.1.0" + "w".repeat(4096)).getBytes(StandardCharsets.UTF_8);
        UpdateFixture.RecordingSwapper swapper = new UpdateFixture.RecordingSwapper();
        f.swapper = swapper;

        f.offerRolloutId = "rol_1";
        f.offerHotSwap("1.1.0", program, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());
        UpdateRunner up = f.runner("1.0.0", program);
        assertEquals(RunState.SUCCEEDED, up.run("run-up", false, Optional.empty()).state());
        up.reportFinishedSwap();
        assertEquals(Optional.of("1.1.0"), f.pointer("current"));

        // the same process, now at 1.1.0, still runs from versions/1.0.0
        UpdateRunner at110 = f.runner("1.1.0", program);
        f.releaseCounter = 4;
        f.manifestExtras = Map.of("downgrade", true, "rollout_id", "rol_1");
        f.offerHotSwap("1.0.0", program, Map.of(WORKER, oldWorker, LOCALUI, localui), Map.of());
        int bundleRequests = f.bundleRequests.size();

        RunResult back = at110.run("run-back", false, Optional.empty());

        assertEquals(RunState.SUCCEEDED, back.state(), back.toString());
        assertEquals(bundleRequests, f.bundleRequests.size(), "nothing downloaded: the folder holds 1.0.0 whole");
        assertEquals(List.of(program.resolve(LOCALUI), program.resolve(WORKER)),
                swapper.plans.get(1).target().stream().map(PlannedBundle::jar).toList(),
                "swapped back to the program folder's own jars");
        assertEquals(Optional.of("1.0.0"), f.pointer("current"));
        assertTrue(Files.isRegularFile(program.resolve("bin/pm-agent")), "the running program folder is intact");
        assertTrue(at110.reportFinishedSwap());
        assertEquals("succeeded", f.lastTelemetry().path("status").asText());
    }

    @Test
    void anAbortWhileDownloadingCancelsTheRunWithRolloutAborted() throws Exception {
        f.offerRolloutId = "rol_1";
        f.offer("1.1.0", "1.1.0");
        f.trickleMillis = 20;
        f.rolloutRecheck = Duration.ofMillis(30);
        f.recheck = () -> Optional.of(answered(nothing(60)));

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.CANCELLED, r.state(), r.toString());
        assertEquals("ROLLOUT_ABORTED", r.errorCode());
        assertTrue(r.errorMessage().contains("rol_1"), r.errorMessage());
        assertEquals("cancelled", f.lastTelemetry().path("status").asText());
        assertEquals("ROLLOUT_ABORTED", f.lastTelemetry().path("error_code").asText());
        assertEquals(Optional.empty(), f.pointer("trial"), "nothing was handed to a restart");
        assertEquals(List.of(), f.restarts);
        assertTrue(f.checkInRunIds.size() >= 2 && f.checkInRunIds.stream().allMatch("run-1"::equals),
                "the re-checks carry the run's id: " + f.checkInRunIds);
        assertTrue(files().marker().isEmpty());
    }

    @Test
    void aReCheckThatCannotReachTheServerDoesNotCancel() throws Exception {
        f.offerRolloutId = "rol_1";
        f.offer("1.1.0", "1.1.0");
        f.trickleMillis = 20;
        f.rolloutRecheck = Duration.ofMillis(30);
        f.recheck = () -> Optional.of(new CheckIn(UpdateFixture.NOW, 0, Optional.empty(),
                Optional.of("cannot reach the server")));

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertTrue(f.checkInRunIds.size() >= 2, "re-checked while downloading: " + f.checkInRunIds);
        assertEquals(Optional.of("1.1.0"), f.pointer("trial"));
    }

    @Test
    void aReCheckThatStillOffersTheReleaseLetsTheRunGoOn() throws Exception {
        f.offerRolloutId = "rol_1";
        f.offer("1.1.0", "1.1.0");
        f.trickleMillis = 20;
        f.rolloutRecheck = Duration.ofMillis(30);

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertTrue(f.checkInRunIds.size() >= 2, "re-checked while downloading: " + f.checkInRunIds);
    }
}
