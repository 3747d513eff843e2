package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

/**
 * Issue 5 end to end, with real processes only: a server (publishing the agent it ships, version N, through its
 * built-in source, and versions made by {@link AgentReleaseBuilder} through a {@code directory} source added over
 * the API; each changes the runtime, so the agent takes the full install, not the hot swap of issue 6); an agent installed from the fleet's tar.gz installer with {@code tar} and run with
 * {@code bin/pm-agent --supervise}. The steps build on each other, in order:
 * <ol>
 * <li>the agent enrolls and reports N;</li>
 * <li>N+1 is published; "update now" on the server: the agent installs it, reports {@code succeeded} and runs it;</li>
 * <li>a broken N+2 (a bundle that never resolves) is published and forced: the trial fails its health check, the
 * agent rolls back to N+1 and reports {@code rolled_back} / {@code HEALTH_CHECK}, and the console shows it;</li>
 * <li>the agent is halted in the middle of a download, of staging and of applying ({@code PM_AGENT_CRASH_AT}, run
 * without the supervisor): what is on disk is never half-installed, and after a restart it finishes the update and
 * runs the new version whole.</li>
 * </ol>
 * Waits are on conditions (up to {@link #WAIT}); every failure carries the agent's and the server's log tails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentUpdateEndToEndIT {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String FLEET = "e2e-update";
    private static final String V1 = "0.1.1";
    private static final String V2_BROKEN = "0.1.2";
    private static final String V3 = "0.1.3";
    private static final String V4 = "0.1.4";
    private static final String V5 = "0.1.5";

    private static AgentFleetFixture fleet;
    private static ApiClient admin;
    private static AgentInstallation agent;
    private static String agentId;
    private static String builtVersion;
    private static Browser browser;
    /** The steps that passed: a step that needs an earlier one is skipped, not failed, when that one failed. */
    private static final java.util.Set<Integer> passed = new java.util.TreeSet<>();

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        // the built-in source publishes version N (the archives the server ships): the installer is built from it
        fleet = AgentFleetFixture.start("agent-update-e2e", FLEET, "End-to-end update", WAIT);
        admin = fleet.admin();
        builtVersion = fleet.builtVersion();
        agent = fleet.installAgent("e2e-update-agent");
        agent.checkInEvery(10);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (fleet != null) {
                fleet.close();
            }
        }
    }

    @Test
    @Order(1)
    void theInstalledAgentEnrollsAndReportsTheBuiltVersion() throws Exception {
        agent.startSupervised();
        fleet.await("the installed agent enrolls into " + FLEET + " and reports " + builtVersion, () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(builtVersion, mine.get("current_version").asText());
            assertFalse(mine.get("last_seen_at").isNull(), "checked in");
            assertEquals(builtVersion, agent.status().get("current_version").asText());
            assertTrue(agent.status().path("worker_installed").asBoolean(), "the agent runs its update worker");
        });
        agentId = fleet.identifyAgent();
        assertRunsWhole(builtVersion);
        passed.add(1);
    }

    @Test
    @Order(2)
    void aNewVersionPublishedInTheFolderIsInstalledOnUpdateNowAndReportedSucceeded() throws Exception {
        requirePassed(1);
        publish(V1, false);
        fleet.forceUpdate();
        fleet.await("the agent runs " + V1 + " and the server shows it succeeded", () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(V1, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(V1, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(V1), agent.slotFile("current"), "versions/current");
        }, fleet.runEndedOtherwise(V1, "succeeded"));
        assertRunsWhole(V1);
        passed.add(2);
    }

    @Test
    @Order(3)
    void aBrokenVersionFailsItsHealthCheckAndTheAgentRollsBackAndTheConsoleShowsIt() throws Exception {
        requirePassed(2);
        publish(V2_BROKEN, true);
        fleet.forceUpdate();
        fleet.await("the agent rolls back from the broken " + V2_BROKEN + " to " + V1, () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals("rolled_back", mine.get("status").asText(), "server: status");
            assertEquals("HEALTH_CHECK", mine.get("last_error_code").asText(), "server: last_error_code");
            assertEquals(V1, mine.get("current_version").asText(), "server: current_version");
            JsonNode local = agent.status();
            assertEquals(V1, local.get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(V1), agent.slotFile("current"), "versions/current");
        }, fleet.runEndedOtherwise(V2_BROKEN, "rolled_back"));
        assertRunsWhole(V1);
        assertEquals(Optional.empty(), agent.slotFile("trial"), "no trial left to boot");
        assertEquals(Optional.empty(), agent.slotFile("booting"), "no trial in progress");
        JsonNode last = agent.status().get("last_result");
        assertTrue(last != null && !last.isNull(), "the agent's last result: " + agent.status());
        assertEquals("rolled_back", last.get("status").asText(), last.toString());
        assertEquals("HEALTH_CHECK", last.get("error_code").asText(), last.toString());
        assertEquals(V2_BROKEN, last.get("target_version").asText(), last.toString());

        browser = new Browser(fleet.server().baseUri());
        browser.open("/agents");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", fleet.server().adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Agents");
        assertEquals("rolled_back", browser.visible("agent-status-" + agentId).getText());
        assertEquals("HEALTH_CHECK", browser.visible("agent-error-" + agentId).getText());
        passed.add(3);
    }

    @Test
    @Order(4)
    void anAgentHaltedInTheMiddleOfADownloadResumesAfterARestartAndFinishes() throws Exception {
        requirePassed(2);
        crashThenFinish(V3, "download", () -> {
            long fullSize = Files.size(fleet.releaseFolder().resolve(AgentReleaseBuilder.assetName(V3)));
            List<String> downloads = agent.downloads();
            assertTrue(downloads.contains(V3 + "-" + AgentReleaseBuilder.platform() + ".tar.gz.partial"),
                    "the interrupted download is kept as .partial: " + downloads);
            long partial = Files.size(agent.dataDir().resolve("update/downloads")
                    .resolve(V3 + "-" + AgentReleaseBuilder.platform() + ".tar.gz.partial"));
            assertTrue(partial > 0 && partial < fullSize, "part of the bytes: " + partial + " of " + fullSize);
            assertFalse(agent.versionEntries().contains(V3), "nothing installed: " + agent.versionEntries());
            assertEquals(Optional.empty(), agent.slotFile("trial"));
        });
        // the restarted agent continued from the kept bytes rather than starting over
        boolean resumed = false;
        for (JsonNode t : fleet.json(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=50")).get("transitions")) {
            resumed |= V3.equals(t.path("target_version").asText()) && "downloading".equals(t.path("status").asText())
                    && t.path("metadata").path("resumed_from_bytes").asLong(0) > 0;
        }
        assertTrue(resumed, "a downloading transition to " + V3 + " reports resumed_from_bytes\n" + fleet.diagnostics());
        passed.add(4);
    }

    @Test
    @Order(5)
    void anAgentHaltedInTheMiddleOfStagingCleansUpAfterARestartAndFinishes() throws Exception {
        requirePassed(2);
        crashThenFinish(V4, "staging", () -> {
            List<String> entries = agent.versionEntries();
            assertTrue(entries.contains(".staging-" + V4), "the half-extracted tree is in its staging folder: " + entries);
            assertFalse(entries.contains(V4), "a half-extracted tree never carries the version's name: " + entries);
            assertEquals(Optional.empty(), agent.slotFile("trial"));
        });
        passed.add(5);
    }

    @Test
    @Order(6)
    void anAgentHaltedAfterWritingTheTrialBootsItAfterARestartAndCommits() throws Exception {
        requirePassed(2);
        crashThenFinish(V5, "applying", () -> {
            assertEquals(Optional.of(V5), agent.slotFile("trial"), "the trial is written before the halt");
            Path tree = agent.versions().resolve(V5);
            assertEquals(V5, Files.readString(tree.resolve("VERSION")).strip(), "the trial's tree is complete");
            assertTrue(Files.isExecutable(tree.resolve("bin/pm-agent")));
        });
        passed.add(6);
    }

    private static void requirePassed(int step) {
        Assumptions.assumeTrue(passed.contains(step), "needs step " + step + ", which did not pass");
    }

    /**
     * Stops the supervised agent, publishes {@code version}, runs the agent plainly with
     * {@code PM_AGENT_CRASH_AT=point}, forces the update and waits for the halt (137); checks the disk with
     * {@code onDisk}; then starts the agent supervised without the variable, and nothing else, and waits until it
     * runs {@code version} whole.
     */
    private void crashThenFinish(String version, String point, Eventually.Check onDisk) throws Exception {
        if (!agent.isRunning()) {
            agent.startSupervised(); // an earlier crash step failed and left it stopped
        }
        fleet.await("the agent answers", () -> agent.status());
        String before = agent.status().get("current_version").asText();
        agent.stop();
        publish(version, false);

        Instant started = Instant.now();
        agent.startPlain(Map.of("PM_AGENT_CRASH_AT", point));
        fleet.awaitReadyForCommands(before, started);
        // the agent's own "check now" (a local tool on 127.0.0.1): it checks in at once, so the halt does not wait
        // for the next periodic check-in (steps 2 and 3 cover commands queued on the server)
        HttpResponse<String> check = agent.trigger("check");
        assertEquals(202, check.statusCode(), check.body());
        int code;
        try {
            code = agent.awaitExit(WAIT);
        } catch (AssertionError e) {
            throw new AssertionError("the agent armed to halt at " + point + " did not exit; " + agent.threadDump()
                    + "\n" + fleet.diagnostics(), e);
        }
        assertEquals(137, code, "halted at " + point + "\n" + fleet.diagnostics());
        try {
            onDisk.run();
            assertEquals(Optional.of(before), agent.slotFile("current").or(() -> Optional.of(builtVersion)),
                    "the committed version is unchanged");
        } catch (AssertionError e) {
            throw new AssertionError("after the halt at " + point + ": " + e.getMessage() + "\nversions/: "
                    + agent.versionEntries() + "\ndownloads/: " + agent.downloads() + "\n" + fleet.diagnostics(), e);
        }

        // no new command: the run marker tells the restarted agent what to resume or to finish
        agent.startSupervised();
        fleet.await("after the halt at " + point + " the agent runs " + version, () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(version, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(version, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(version), agent.slotFile("current"), "versions/current");
        }, fleet.runEndedOtherwise(version, "succeeded"));
        assertRunsWhole(version);
        assertFalse(agent.downloads().contains(version + "-" + AgentReleaseBuilder.platform() + ".tar.gz.partial"),
                "no partial download left: " + agent.downloads());
    }

    /** The running program is {@code version} and nothing else: its VERSION, the slot, the reports; no leftovers. */
    private static void assertRunsWhole(String version) throws Exception {
        fleet.await("the running agent's program is " + version, () ->
                assertEquals(Optional.of(version), agent.runningProgramVersion(), "VERSION of the running program"));
        assertEquals(version, agent.status().get("current_version").asText(), "agent: current_version");
        assertEquals(version, fleet.serverRecord().get("current_version").asText(), "server: current_version");
        List<String> entries = agent.versionEntries();
        assertTrue(entries.stream().noneMatch(e -> e.startsWith(".staging-")), "no staging tree left: " + entries);
        assertEquals(Optional.empty(), agent.slotFile("booting"), "no trial in progress");
        if (!version.equals(builtVersion)) {
            assertTrue(Files.isDirectory(agent.versions().resolve(version)), "the slot of " + version + ": " + entries);
            assertEquals(version, Files.readString(agent.versions().resolve(version).resolve("VERSION")).strip());
        }
    }

    /** Publishes a release in the folder, asks for a sync and waits until the server signed a manifest for it. */
    private static void publish(String version, boolean brokenHealth) throws Exception {
        // a runtime change (a top-level file): these releases must take the full install of issue 5, not the hot
        // swap of issue 6 (AgentHotSwapIT), which a release changing only VERSION and bundle/ would take
        fleet.publish(fleet.official(), version, AgentReleaseBuilder.Changes.fullInstall().broken(brokenHealth));
    }
}
