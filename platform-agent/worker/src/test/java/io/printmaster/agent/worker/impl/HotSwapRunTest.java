package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.api.support.RuntimeFingerprint;
import io.printmaster.core.policy.UpdatePolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's hot-swap path against a real installation folder, real signed manifests listing bundles, and a real
 * HTTP server serving the bundle route. The engine itself (changing bundles in a framework) is a recording stand-in
 * here; it runs for real in {@code HotSwapIT} and, with this path, in {@code AgentHotSwapIT}.
 */
class HotSwapRunTest {
    private static final String WORKER = "bundle/io.printmaster.agent.worker.jar";
    private static final String LOCALUI = "bundle/io.printmaster.agent.localui.jar";

    @TempDir
    Path root;

    private UpdateFixture f;
    private UpdateFixture.RecordingSwapper swapper;
    private byte[] localui;
    private byte[] newWorker;

    @BeforeEach
    void setUp() throws Exception {
        f = new UpdateFixture(root);
        localui = "localui 1.0.0".getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve(LOCALUI), localui);
        newWorker = ("bundle 1.1.0" + "w".repeat(4096)).getBytes(StandardCharsets.UTF_8);
        swapper = new UpdateFixture.RecordingSwapper();
        f.swapper = swapper;
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private WorkerFiles files() {
        return new WorkerFiles(root.resolve("data/update"));
    }

    @Test
    void theBundledRuntimeIsHardLinkedIntoTheNewSlotAndTheEditableFilesAreCopied() throws Exception {
        Files.createDirectories(root.resolve("runtime/lib"));
        Files.writeString(root.resolve("runtime/lib/modules"), "the jlink image's modules");
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.SUCCEEDED, r.state(), r.toString());
        Path slot = root.resolve("versions/1.1.0");
        assertEquals(Files.getAttribute(root.resolve("runtime/lib/modules"), "unix:ino"),
                Files.getAttribute(slot.resolve("runtime/lib/modules"), "unix:ino"),
                "runtime/ is hard-linked, not copied (78 MiB per swap otherwise)");
        assertEquals(2, (int) Files.getAttribute(slot.resolve("runtime/lib/modules"), "unix:nlink"));
        assertEquals(1, (int) Files.getAttribute(slot.resolve("lib/launcher.jar"), "unix:nlink"),
                "lib/ is copied: an edit in place of one slot must not change the other");
    }

    @Test
    void aReleaseThatKeepsTheRuntimeDownloadsOnlyTheChangedBundleSwapsItAndCommitsWithoutARestart() throws Exception {
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());
        UpdateRunner runner = f.base();

        RunResult r = runner.run("run-1", false, Optional.empty());

        assertEquals(RunState.SUCCEEDED, r.state(), r.toString());
        assertEquals(List.of(UpdateFixture.BUNDLE_PATH + "1.1.0/linux-amd64/" + UpdateFixture.sha256(newWorker)),
                f.bundleRequests, "only the changed bundle is downloaded");
        assertEquals(0, f.downloadRequests.get(), "the release archive is not downloaded");
        assertEquals(List.of(), f.restarts, "no restart");
        assertEquals(Optional.of("1.1.0"), f.pointer("current"), "committed after the swap passed its gate");
        assertEquals(Optional.empty(), f.pointer("trial"));

        Path slot = root.resolve("versions/1.1.0");
        assertEquals("1.1.0\n", Files.readString(slot.resolve("VERSION")));
        assertTrue(Files.isExecutable(slot.resolve("bin/pm-agent")), "the runtime is copied with its modes");
        assertEquals("launcher 1.0.0", Files.readString(slot.resolve("lib/launcher.jar")));
        assertEquals(List.of(newWorker.length, localui.length), List.of(Files.readAllBytes(slot.resolve(WORKER)).length,
                Files.readAllBytes(slot.resolve(LOCALUI)).length));
        assertTrue(Files.isDirectory(slot.resolve("etc")), "the slot has the release's (empty) etc/");

        SwapPlan plan = swapper.plans.get(0);
        assertEquals("1.0.0", plan.fromVersion());
        assertEquals("1.1.0", plan.toVersion());
        assertEquals(List.of(slot.resolve(LOCALUI), slot.resolve(WORKER)),
                plan.target().stream().map(PlannedBundle::jar).toList(), "the complete set, from the new slot");
        assertEquals(UpdateFixture.sha256(newWorker), plan.target().get(1).sha256());

        // the report is the worker's that runs after the swap (woken), not the swapping thread's
        assertEquals(1, f.wakes.get());
        assertEquals(List.of("pending", "downloading", "staging", "applying"), f.statuses());
        assertEquals("hot-swap", f.telemetry.get(1).path("metadata").path("mode").asText());
        assertTrue(runner.reportFinishedSwap());
        JsonNode done = f.lastTelemetry();
        assertEquals("succeeded", done.path("status").asText(), done.toString());
        assertEquals("hot-swap", done.path("metadata").path("mode").asText());
        assertEquals(newWorker.length, done.path("metadata").path("bytes_downloaded").asLong());
        assertEquals("io.printmaster.agent.worker", done.path("metadata").path("bundles_changed").get(0).asText());
        assertEquals(40, done.path("metadata").path("downtime_ms").asLong());
        assertTrue(files().marker().isEmpty(), "the run is finished");
        assertEquals(f.releaseCounter, files().state().releaseCounter(), "a replay of an older manifest is refused now");
        assertFalse(runner.reportFinishedSwap(), "reported once");
    }

    @Test
    void withTelemetryOffTheTransitionsStillGoWithoutTheirMeasurements() throws Exception {
        UpdatePolicy d = UpdatePolicy.defaults();
        f.settings = UpdateFixture.settings(PolicySource.FLEET, Optional.of(new UpdatePolicy(d.updateCheckDays(),
                d.versionPinStrategy(), d.allowMajorUpgrade(), null, false, d.maintenanceWindow(), d.rolloutControl())));
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());
        UpdateRunner runner = f.base();

        assertEquals(RunState.SUCCEEDED, runner.run("run-1", false, Optional.empty()).state());
        assertTrue(runner.reportFinishedSwap());

        assertEquals(List.of("pending", "downloading", "staging", "applying", "succeeded"), f.statuses(),
                "every transition is still reported: the server's status of the agent is made of them");
        JsonNode done = f.lastTelemetry();
        assertEquals("1.1.0", done.path("target_version").asText(), done.toString());
        assertEquals(List.of("mode"), List.copyOf(iterable(done.path("metadata").fieldNames())),
                "only what names the kind of run: " + done);
        assertEquals("hot-swap", done.path("metadata").path("mode").asText());
        for (JsonNode t : f.telemetry) {
            assertFalse(t.has("download_time_ms") || t.has("size_bytes"), "no measurements: " + t);
            assertFalse(t.path("error_message").asText().matches(".*\\d+ ?ms\\b.*"), "no timing in the text: " + t);
        }
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aSwapThatFailsItsHealthGateIsReportedRolledBackWithTheCheckAndNotRetriedBySchedule() throws Exception {
        swapper.outcome = new SwapOutcome(SwapOutcome.Result.ROLLED_BACK,
                "bundle io.printmaster.agent.worker 1.1.0 is installed, not active", List.of("io.printmaster.agent.worker"),
                900, 300);
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());
        UpdateRunner runner = f.base();

        RunResult r = runner.run("run-1", false, Optional.empty());
        runner.reportFinishedSwap();

        assertEquals(RunState.ROLLED_BACK, r.state(), r.toString());
        JsonNode done = f.lastTelemetry();
        assertEquals("rolled_back", done.path("status").asText(), done.toString());
        assertEquals("HEALTH_CHECK", done.path("error_code").asText());
        assertTrue(done.path("error_message").asText().contains("is installed, not active"), done.toString());
        assertEquals(Optional.empty(), f.pointer("current"), "nothing committed");
        assertFalse(Files.exists(root.resolve("versions/1.1.0")), "the failed slot is removed");
        assertTrue(files().state().failedVersions().contains("1.1.0"));
        assertEquals(List.of(), f.restarts);

        RunResult again = f.base().run("run-2", false, Optional.empty());
        assertEquals(RunState.SKIPPED, again.state(), "a scheduled run does not try it again: " + again);
        assertEquals(1, swapper.plans.size());
    }

    @Test
    void aReleaseThatChangesTheRuntimeIsInstalledInFullWithARestart() throws Exception {
        Path elsewhere = root.resolve("other-program");
        UpdateFixture.writeProgram(elsewhere, "9.9.9"); // another launcher: another runtime_sha256
        f.offerHotSwap("1.1.0", elsewhere, Map.of(WORKER, newWorker), Map.of());

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(List.of(), swapper.plans, "no swap");
        assertEquals(1, f.downloadRequests.get(), "the release archive is downloaded");
        assertEquals(Optional.of("1.1.0"), f.pointer("trial"));
    }

    /**
     * An agent installed from an archive that carries a Java runtime ({@code runtime/}): a release with the same
     * launcher, scripts and bundles but another Java update under {@code runtime/} must not be hot-swapped (the
     * running JVM is the old one), it is installed in full with a restart.
     */
    @Test
    void aReleaseWhoseBundledJavaRuntimeDiffersIsInstalledInFullWithARestart(@TempDir Path other) throws Exception {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path elsewhere = other.resolve("program");
        UpdateFixture.writeProgram(elsewhere, "1.0.0");
        for (Path program : List.of(root, elsewhere)) {
            Files.createDirectories(program.resolve("runtime/bin"));
            Files.copy(javaHome.resolve("bin/java"), program.resolve("runtime/bin/java"));
            Files.copy(javaHome.resolve("release"), program.resolve("runtime/release"));
        }
        assertEquals(RuntimeFingerprint.ofProgramFolder(root), RuntimeFingerprint.ofProgramFolder(elsewhere),
                "the two programs are alike but for what the test changes next");
        // the next Java update: the same files, runtime/release says another version
        Path release = elsewhere.resolve("runtime/release");
        Files.writeString(release, Files.readString(release).replaceAll("JAVA_VERSION=\"[^\"]*\"",
                "JAVA_VERSION=\"17.0.99\""));
        assertNotEquals(RuntimeFingerprint.ofProgramFolder(root), RuntimeFingerprint.ofProgramFolder(elsewhere),
                "runtime/ is part of the runtime fingerprint");
        f.offerHotSwap("1.1.0", elsewhere, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(List.of(), swapper.plans, "no swap");
        assertEquals(List.of(), f.bundleRequests, "no bundle-by-bundle download");
        assertEquals(1, f.downloadRequests.get(), "the release archive is downloaded");
        assertEquals(Optional.of("1.1.0"), f.pointer("trial"), "booted as a trial by the restart");
    }

    @Test
    void aSwapThatCannotBeginFallsBackToTheFullInstall() throws Exception {
        swapper.cannotBegin = new IllegalStateException("the running bundle's backup of io.x cannot be read");
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(1, f.downloadRequests.get(), "the release archive is downloaded");
        assertEquals(Optional.of("1.1.0"), f.pointer("trial"));
        assertEquals("1.1.0", Files.readString(root.resolve("versions/1.1.0/VERSION")), "the slot is the archive's");
    }

    @Test
    void aSwapThatFailsUnexpectedlyRestartsIntoTheCommittedVersion() throws Exception {
        swapper.cannotBegin = new IllegalArgumentException("a bug in the engine");
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui), Map.of());

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.RESTARTING, r.state(), r.toString());
        assertEquals(List.of("1.0.0"), f.restarts, "a restart, which installs current whole");
        assertEquals(Optional.empty(), f.pointer("current"), "nothing committed");
        RunMarker marker = files().marker().orElseThrow();
        assertEquals(RunMarker.Phase.rolling_back, marker.phase(), "the next start reports it");
        assertEquals("APPLY_FAILED", marker.errorCode());

        // the restarted agent runs 1.0.0 and reports the run
        assertEquals(Optional.empty(), f.base().recover());
        assertEquals("rolled_back", f.lastTelemetry().path("status").asText());
        assertEquals("APPLY_FAILED", f.lastTelemetry().path("error_code").asText());
    }

    @Test
    void aBundleWhoseBytesAreNotTheSignedOnesIsRefusedAndNothingIsSwapped() throws Exception {
        f.offerHotSwap("1.1.0", root, Map.of(WORKER, newWorker, LOCALUI, localui),
                Map.of(WORKER, ("tampered" + "w".repeat(4100)).getBytes(StandardCharsets.UTF_8)));

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.FAILED, r.state(), r.toString());
        assertEquals("HASH_MISMATCH", r.errorCode(), r.toString());
        assertEquals(List.of(), swapper.plans);
        assertFalse(Files.exists(root.resolve("versions/1.1.0")), "no slot");
        assertEquals(Optional.empty(), f.pointer("current"));
    }

    @Test
    void aSwapCutShortByTheEndOfTheProcessIsReportedAndNotRetriedUnasked() throws Exception {
        files().saveMarker(new RunMarker("run-9", "1.0.0", "1.1.0", RunMarker.Phase.downloading, false,
                Instant.parse("2026-11-26T11:00:00Z"), null, null, 5).swapping("an-earlier-process",
                Map.of("mode", "hot-swap")));
        Files.createDirectories(root.resolve("versions/1.1.0/bundle"));

        assertEquals(Optional.empty(), f.base().recover());

        JsonNode done = f.lastTelemetry();
        assertEquals("rolled_back", done.path("status").asText(), done.toString());
        assertEquals("APPLY_FAILED", done.path("error_code").asText());
        assertTrue(done.path("error_message").asText().contains("cut short"), done.toString());
        assertTrue(files().marker().isEmpty());
        assertTrue(files().state().failedVersions().contains("1.1.0"));
        assertFalse(Files.exists(root.resolve("versions/1.1.0")), "the uncommitted slot is removed");
    }

    @Test
    void aSwapStillRunningInThisProcessIsLeftToTheThreadThatRunsIt() throws Exception {
        RunMarker swapping = new RunMarker("run-9", "1.0.0", "1.1.0", RunMarker.Phase.downloading, false,
                Instant.parse("2026-11-26T11:00:00Z"), null, null, 5).swapping(UpdateFixture.FRAMEWORK_UUID,
                Map.of("mode", "hot-swap"));
        files().saveMarker(swapping);
        UpdateRunner replacement = f.base();

        assertEquals(Optional.empty(), replacement.recover());
        assertTrue(replacement.swapInProgress());
        assertEquals(RunState.SKIPPED, replacement.run("run-10", false, Optional.empty()).state());
        assertEquals(List.of(), f.telemetry, "nothing reported while it runs");
        assertEquals(Optional.of(swapping), files().marker());

        files().saveMarker(swapping.swapped("succeeded", null, "hot-swapped", Map.of("mode", "hot-swap")));
        assertTrue(replacement.reportFinishedSwap());
        assertEquals("succeeded", f.lastTelemetry().path("status").asText());
        assertFalse(replacement.swapInProgress());
    }
}
