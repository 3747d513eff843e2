package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
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
 * Vendor plugins delivered as components with their own release stream: the server's {@code plugin_updates} offer,
 * verified, downloaded and handed to the engine's plugin replacement; real files, real signed manifests, a real HTTP
 * server. The engine's replacement (FileInstall picking up the file, the health gate) runs for real in the ITs.
 */
class PluginUpdateRunTest {
    private static final String COMPONENT = "acme-label";

    @TempDir
    Path root;

    private UpdateFixture f;
    private UpdateFixture.RecordingSwapper swapper;
    private Path pluginFile;
    private byte[] v1;
    private byte[] v2;

    @BeforeEach
    void setUp() throws Exception {
        f = new UpdateFixture(root);
        swapper = new UpdateFixture.RecordingSwapper();
        f.swapper = swapper;
        v1 = UpdateFixture.pluginJar("com.acme.label", COMPONENT, "1.0.0");
        v2 = UpdateFixture.pluginJar("com.acme.label", COMPONENT, "1.1.0");
        pluginFile = Files.createDirectories(root.resolve("data/plugins")).resolve("acme-label.jar");
        Files.write(pluginFile, v1);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void anOfferedPluginReleaseIsVerifiedDownloadedAndReplacedBehindTheGate() throws Exception {
        f.offerPlugin(COMPONENT, "1.1.0", v2);

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.SUCCEEDED, r.state(), r.toString());
        assertEquals("run-1-acme-label", r.runId());
        PluginReplacement rep = swapper.replacements.get(0);
        assertEquals(pluginFile, rep.pluginFile());
        assertEquals("1.0.0", rep.fromVersion());
        assertEquals("1.1.0", rep.toVersion());
        assertEquals(UpdateFixture.sha256(v2), rep.sha256());
        assertArrayEquals(v2, Files.readAllBytes(pluginFile), "the plugin's file holds the new release");
        assertEquals(List.of("pending", "downloading", "staging", "applying", "succeeded"), f.statuses());
        JsonNode done = f.lastTelemetry();
        assertEquals("plugin", done.path("metadata").path("mode").asText(), done.toString());
        assertEquals(COMPONENT, done.path("metadata").path("component").asText());
        assertEquals("1.1.0", done.path("target_version").asText());
        assertEquals(f.releaseCounter, new WorkerFiles(root.resolve("data/update")).state().pluginCounter(COMPONENT));
        assertTrue(new WorkerFiles(root.resolve("data/update")).marker().isEmpty());
        assertEquals(List.of(), swapper.plans, "the agent's own bundles are not touched");
    }

    @Test
    void aPluginReleaseThatFailsTheGateIsReportedRolledBackAndNotRetriedBySchedule() throws Exception {
        swapper.outcome = new SwapOutcome(SwapOutcome.Result.ROLLED_BACK,
                "bundle com.acme.label 1.1.0 is installed, not active", List.of("com.acme.label"), 500, 200);
        f.offerPlugin(COMPONENT, "1.1.0", v2);

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.ROLLED_BACK, r.state(), r.toString());
        assertEquals("HEALTH_CHECK", r.errorCode());
        assertTrue(r.errorMessage().contains("is installed, not active"), r.errorMessage());
        assertArrayEquals(v1, Files.readAllBytes(pluginFile), "the old release is back");
        RunResult again = f.base().run("run-2", false, Optional.empty());
        assertEquals(RunState.SKIPPED, again.state(), again.toString());
        assertEquals(1, swapper.replacements.size());
    }

    @Test
    void aJarSignedForAnotherComponentIsRefused() throws Exception {
        byte[] other = UpdateFixture.pluginJar("com.acme.label", "acme-other", "1.1.0");
        f.offerPlugin(COMPONENT, "1.1.0", other);

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.FAILED, r.state(), r.toString());
        assertEquals("STAGING_FAILED", r.errorCode(), r.toString());
        assertEquals(List.of(), swapper.replacements);
        assertArrayEquals(v1, Files.readAllBytes(pluginFile));
    }

    @Test
    void aPluginThatIsNotInstalledHereIsNotInstalled() throws Exception {
        f.offerPlugin("acme-unknown", "1.1.0", UpdateFixture.pluginJar("com.acme.u", "acme-unknown", "1.1.0"));

        RunResult r = f.base().run("run-1", false, Optional.empty());

        assertEquals(RunState.UP_TO_DATE, r.state(), "up to date: " + r);
        assertEquals(List.of(), swapper.replacements);
        assertEquals(List.of("up_to_date"), f.statuses(), "only the check is reported");
    }

    @Test
    void aStaleBackupIsNeverPutBack() throws Exception {
        Path backup = root.resolve("data/update/plugin-backup/acme-label.jar");
        Files.createDirectories(backup.getParent());
        Files.write(backup, UpdateFixture.pluginJar("com.acme.label", COMPONENT, "0.9.0")); // an older replacement's
        WorkerFiles files = new WorkerFiles(root.resolve("data/update"));
        files.saveMarker(new RunMarker("run-1-acme-label", "1.0.0", "1.1.0", RunMarker.Phase.downloading, false,
                Instant.parse("2026-11-26T11:00:00Z"), null, null, 3).swapping("an-earlier-process",
                Map.of("mode", "plugin")).forPlugin(new RunMarker.PluginFiles(COMPONENT, pluginFile.toString(),
                backup.toString(), UpdateFixture.sha256(v1))));

        f.base().restoreInterruptedPlugin();

        assertArrayEquals(v1, Files.readAllBytes(pluginFile), "the running release is left as it is");
        assertFalse(Files.exists(backup));
    }

    @Test
    void aReplacementCutShortByTheEndOfTheProcessPutsTheOldJarBack() throws Exception {
        Path backup = root.resolve("data/update/plugin-backup/acme-label.jar");
        Files.createDirectories(backup.getParent());
        Files.write(backup, v1);
        Files.write(pluginFile, v2); // the new jar was on trial when the process ended
        WorkerFiles files = new WorkerFiles(root.resolve("data/update"));
        files.saveMarker(new RunMarker("run-1-acme-label", "1.0.0", "1.1.0", RunMarker.Phase.downloading, false,
                Instant.parse("2026-11-26T11:00:00Z"), null, null, 3).swapping("an-earlier-process",
                Map.of("mode", "plugin")).forPlugin(new RunMarker.PluginFiles(COMPONENT, pluginFile.toString(),
                backup.toString(), UpdateFixture.sha256(v1))));

        UpdateRunner next = f.base();
        next.restoreInterruptedPlugin(); // at activation, before FileInstall reads the folder
        assertArrayEquals(v1, Files.readAllBytes(pluginFile), "the old release is back before FileInstall reads it");
        assertEquals(List.of(), f.telemetry, "reported later, by the worker's thread");

        assertEquals(Optional.empty(), next.recover());
        assertFalse(Files.exists(backup));
        assertEquals("rolled_back", f.lastTelemetry().path("status").asText());
        assertEquals("APPLY_FAILED", f.lastTelemetry().path("error_code").asText());
        assertTrue(files.state().failedVersions().contains("acme-label@1.1.0"));
    }
}
