package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String FLEET = "e2e-update";
    private static final String V1 = "0.1.1";
    private static final String V2_BROKEN = "0.1.2";
    private static final String V3 = "0.1.3";
    private static final String V4 = "0.1.4";
    private static final String V5 = "0.1.5";

    private static ServerProcess server;
    private static ApiClient admin;
    private static AgentReleaseBuilder releases;
    private static Path releaseFolder;
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
        Path work = Files.createTempDirectory("pm-e2e-update");
        releases = AgentReleaseBuilder.fromBuild();
        builtVersion = releases.builtVersion();
        releaseFolder = Files.createDirectories(work.resolve("releases"));

        // the built-in source publishes version N (the archives the server ships): the installer is built from it
        server = ServerProcess.start("agent-update-e2e");
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts",
                "/api/v1/release-sources");
        admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
        ApiClient.Response fleet = admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "End-to-end update"));
        assertEquals(201, fleet.status(), fleet.body());
        ApiClient.Response source = admin.post("/api/v1/release-sources", Map.of("type", "directory", "name", "e2e-folder",
                "config", Map.of("path", releaseFolder.toString())));
        assertEquals(201, source.status(), source.body());
        awaitPublished(builtVersion);

        Path installer = work.resolve("installer.tar.gz");
        HttpResponse<Path> download = admin.download("/api/v1/installers/" + FLEET + "/" + AgentReleaseBuilder.platform()
                + "?format=tar.gz", installer);
        assertEquals(200, download.statusCode(), () -> "installer download: " + readSmall(installer));
        agent = AgentInstallation.install(installer, work.resolve("install"), "e2e-update-agent");
        assertEquals(builtVersion, Files.readString(agent.root().resolve("VERSION")).strip(), "the installer holds version N");
        agent.checkInEvery(10);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (agent != null) {
                    agent.close();
                }
            } finally {
                if (server != null) {
                    server.close();
                }
            }
        }
    }

    @Test
    @Order(1)
    void theInstalledAgentEnrollsAndReportsTheBuiltVersion() throws Exception {
        agent.startSupervised();
        await("the installed agent enrolls into " + FLEET + " and reports " + builtVersion, () -> {
            JsonNode mine = serverRecord();
            assertEquals(builtVersion, mine.get("current_version").asText());
            assertFalse(mine.get("last_seen_at").isNull(), "checked in");
            assertEquals(builtVersion, agent.status().get("current_version").asText());
            assertTrue(agent.status().path("worker_installed").asBoolean(), "the agent runs its update worker");
        });
        agentId = serverRecord().get("id").asText();
        assertRunsWhole(builtVersion);
        passed.add(1);
    }

    @Test
    @Order(2)
    void aNewVersionPublishedInTheFolderIsInstalledOnUpdateNowAndReportedSucceeded() throws Exception {
        requirePassed(1);
        publish(V1, false);
        forceUpdate();
        await("the agent runs " + V1 + " and the server shows it succeeded", () -> {
            JsonNode mine = serverRecord();
            assertEquals(V1, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(V1, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(V1), agent.slotFile("current"), "versions/current");
        }, runEndedOtherwise(V1, "succeeded"));
        assertRunsWhole(V1);
        passed.add(2);
    }

    @Test
    @Order(3)
    void aBrokenVersionFailsItsHealthCheckAndTheAgentRollsBackAndTheConsoleShowsIt() throws Exception {
        requirePassed(2);
        publish(V2_BROKEN, true);
        forceUpdate();
        await("the agent rolls back from the broken " + V2_BROKEN + " to " + V1, () -> {
            JsonNode mine = serverRecord();
            assertEquals("rolled_back", mine.get("status").asText(), "server: status");
            assertEquals("HEALTH_CHECK", mine.get("last_error_code").asText(), "server: last_error_code");
            assertEquals(V1, mine.get("current_version").asText(), "server: current_version");
            JsonNode local = agent.status();
            assertEquals(V1, local.get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(V1), agent.slotFile("current"), "versions/current");
        }, runEndedOtherwise(V2_BROKEN, "rolled_back"));
        assertRunsWhole(V1);
        assertEquals(Optional.empty(), agent.slotFile("trial"), "no trial left to boot");
        assertEquals(Optional.empty(), agent.slotFile("booting"), "no trial in progress");
        JsonNode last = agent.status().get("last_result");
        assertTrue(last != null && !last.isNull(), "the agent's last result: " + agent.status());
        assertEquals("rolled_back", last.get("status").asText(), last.toString());
        assertEquals("HEALTH_CHECK", last.get("error_code").asText(), last.toString());
        assertEquals(V2_BROKEN, last.get("target_version").asText(), last.toString());

        browser = new Browser(server.baseUri());
        browser.open("/agents");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
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
            long fullSize = Files.size(releaseFolder.resolve(AgentReleaseBuilder.assetName(V3)));
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
        for (JsonNode t : json(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=50")).get("transitions")) {
            resumed |= V3.equals(t.path("target_version").asText()) && "downloading".equals(t.path("status").asText())
                    && t.path("metadata").path("resumed_from_bytes").asLong(0) > 0;
        }
        assertTrue(resumed, "a downloading transition to " + V3 + " reports resumed_from_bytes\n" + diagnostics());
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
        await("the agent answers", () -> agent.status());
        String before = agent.status().get("current_version").asText();
        agent.stop();
        publish(version, false);

        Instant started = Instant.now();
        agent.startPlain(Map.of("PM_AGENT_CRASH_AT", point));
        awaitReadyForCommands(before, started);
        // the agent's own "check now" (a local tool on 127.0.0.1): it checks in at once, so the halt does not wait
        // for the next periodic check-in (steps 2 and 3 cover commands queued on the server)
        HttpResponse<String> check = agent.trigger("check");
        assertEquals(202, check.statusCode(), check.body());
        int code;
        try {
            code = agent.awaitExit(WAIT);
        } catch (AssertionError e) {
            throw new AssertionError("the agent armed to halt at " + point + " did not exit; " + agent.threadDump()
                    + "\n" + diagnostics(), e);
        }
        assertEquals(137, code, "halted at " + point + "\n" + diagnostics());
        try {
            onDisk.run();
            assertEquals(Optional.of(before), agent.slotFile("current").or(() -> Optional.of(builtVersion)),
                    "the committed version is unchanged");
        } catch (AssertionError e) {
            throw new AssertionError("after the halt at " + point + ": " + e.getMessage() + "\nversions/: "
                    + agent.versionEntries() + "\ndownloads/: " + agent.downloads() + "\n" + diagnostics(), e);
        }

        // no new command: the run marker tells the restarted agent what to resume or to finish
        agent.startSupervised();
        await("after the halt at " + point + " the agent runs " + version, () -> {
            JsonNode mine = serverRecord();
            assertEquals(version, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(version, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(version), agent.slotFile("current"), "versions/current");
        }, runEndedOtherwise(version, "succeeded"));
        assertRunsWhole(version);
        assertFalse(agent.downloads().contains(version + "-" + AgentReleaseBuilder.platform() + ".tar.gz.partial"),
                "no partial download left: " + agent.downloads());
    }

    /**
     * Waits until the agent started at {@code started} runs {@code version}, its update worker is up, and it has
     * checked in since it started. A command is marked delivered by the check-in that carries it: queued while the
     * agent is still starting, it could reach a check-in made before the worker listens (see the report to the
     * lead), and nothing would run.
     */
    private static void awaitReadyForCommands(String version, Instant started) throws Exception {
        await("the started agent runs " + version + ", has its worker and checked in", () -> {
            JsonNode local = agent.status();
            assertEquals(version, local.get("current_version").asText(), "agent: current_version");
            assertTrue(local.path("worker_installed").asBoolean(), "agent: worker_installed");
            String seen = serverRecord().path("last_seen_at").asText("");
            assertTrue(!seen.isEmpty() && Instant.parse(seen).isAfter(started), "server: last_seen_at " + seen
                    + " after the start at " + started);
        });
    }

    /** The running program is {@code version} and nothing else: its VERSION, the slot, the reports; no leftovers. */
    private static void assertRunsWhole(String version) throws Exception {
        await("the running agent's program is " + version, () ->
                assertEquals(Optional.of(version), agent.runningProgramVersion(), "VERSION of the running program"));
        assertEquals(version, agent.status().get("current_version").asText(), "agent: current_version");
        assertEquals(version, serverRecord().get("current_version").asText(), "server: current_version");
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
        releases.publish(releaseFolder, version, AgentReleaseBuilder.Changes.fullInstall().broken(brokenHealth));
        ApiClient.Response sync = admin.post("/api/v1/releases/sync", Map.of());
        assertEquals(202, sync.status(), sync.body());
        awaitPublished(version);
    }

    private static void awaitPublished(String version) throws Exception {
        String query = "?component=agent&version=" + version + "&platform=linux&arch=" + AgentReleaseBuilder.arch()
                + "&format=tar.gz";
        await("version " + version + " is cached with a signed manifest", () -> {
            JsonNode artifacts = json(admin.get("/api/v1/releases/artifacts" + query)).get("artifacts");
            if (artifacts.isEmpty()) {
                // a sync that started before the file was there misses it: ask again (joins a running one)
                admin.post("/api/v1/releases/sync", Map.of());
            }
            assertEquals(1, artifacts.size(), "artifacts: " + artifacts + "\nsync: "
                    + admin.get("/api/v1/releases/sync/status").body());
            JsonNode manifests = json(admin.get("/api/v1/releases/manifests" + query)).get("manifests");
            assertEquals(1, manifests.size(), "manifests: " + manifests);
        });
    }

    /** "Update now" on the server: a {@code force_update} delivered at the agent's next check-in. */
    private static void forceUpdate() throws Exception {
        ApiClient.Response r = admin.post("/api/v1/agents/" + agentId + "/commands", Map.of("command", "force_update"));
        assertEquals(202, r.status(), r.body());
    }

    private static JsonNode serverRecord() throws Exception {
        JsonNode mine = null;
        for (JsonNode a : json(admin.get("/api/v1/agents?fleet=" + FLEET)).get("agents")) {
            if (agentId == null || agentId.equals(a.get("id").asText())) {
                assertTrue(mine == null, "one agent in " + FLEET);
                mine = a;
            }
        }
        assertNotNull(mine, "an agent enrolled into " + FLEET);
        return mine;
    }

    private static JsonNode json(ApiClient.Response r) throws Exception {
        assertEquals(200, r.status(), r.body());
        return JSON.readTree(r.body());
    }

    /** {@link Eventually#within} {@link #WAIT}, failing with what the agent and the server said. */
    private static void await(String what, Eventually.Check check) throws Exception {
        await(what, check, () -> null);
    }

    /**
     * {@link Eventually#within} {@link #WAIT}, failing with what the agent and the server said; gives up at once
     * when the agent process exits or {@code hopeless} names a reason (a run that ended otherwise than expected).
     */
    private static void await(String what, Eventually.Check check, Eventually.Reason hopeless) throws Exception {
        Process watched = agent == null ? null : agent.process();
        boolean watchAgent = watched != null && watched.isAlive();
        try {
            Eventually.within(WAIT, check, () -> {
                if (watchAgent && !watched.isAlive()) {
                    return "the agent process exited with code " + watched.exitValue();
                }
                try {
                    return hopeless.get();
                } catch (Exception | AssertionError e) {
                    return null; // cannot tell yet
                }
            });
        } catch (AssertionError | Exception e) {
            throw new AssertionError("waited for: " + what + "\nlast failure: " + e + "\n" + agent.threadDump() + "\n"
                    + diagnostics(), e);
        }
    }

    /**
     * A reason to stop waiting for an update to {@code version}: the server shows a run to it that ended with
     * another terminal status than {@code expected}.
     */
    private static Eventually.Reason runEndedOtherwise(String version, String expected) {
        return () -> {
            JsonNode mine = serverRecord();
            String status = mine.path("status").asText();
            boolean terminal = List.of("succeeded", "failed", "skipped", "rolled_back", "cancelled").contains(status);
            if (version.equals(mine.path("target_version").asText()) && terminal && !status.equals(expected)) {
                return "the run to " + version + " ended " + status + " (" + mine.path("last_error_code").asText() + ")";
            }
            return null;
        };
    }

    private static String diagnostics() {
        StringBuilder out = new StringBuilder();
        try {
            out.append("server record: ").append(agentId == null ? "(not enrolled yet)" : serverRecord()).append('\n');
        } catch (Exception | AssertionError e) {
            out.append("server record: ").append(e).append('\n');
        }
        try {
            if (agentId != null) {
                out.append("agent on the server: ").append(admin.get("/api/v1/agents/" + agentId).body()).append('\n');
                out.append("telemetry: ").append(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=20").body()).append('\n');
            }
        } catch (Exception e) {
            out.append("telemetry: ").append(e).append('\n');
        }
        try {
            out.append("agent status: ").append(agent.status()).append('\n');
        } catch (Exception | AssertionError e) {
            out.append("agent status: ").append(e).append('\n');
        }
        try {
            out.append("versions/: ").append(agent.versionEntries()).append(", current=").append(agent.slotFile("current"))
                    .append(", trial=").append(agent.slotFile("trial")).append(", booting=").append(agent.slotFile("booting"))
                    .append(", abandoned=").append(agent.slotFile("abandoned")).append('\n');
            Path runJson = agent.dataDir().resolve("update/run.json");
            if (Files.exists(runJson)) {
                out.append("run.json: ").append(Files.readString(runJson)).append('\n');
            }
        } catch (Exception e) {
            out.append("versions/: ").append(e).append('\n');
        }
        out.append(agent.logTail()).append('\n').append(server.logTail());
        return out.toString();
    }

    private static String readSmall(Path file) {
        try {
            return Files.size(file) < 10_000 ? Files.readString(file) : "(" + Files.size(file) + " bytes)";
        } catch (Exception e) {
            return e.toString();
        }
    }
}
