package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.itests.AgentReleaseBuilder.Changes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 6 end to end, with real processes only: the agent's update worker hot-swaps bundles inside the running
 * agent. A server publishes the agent it ships (version N) and releases made by {@link AgentReleaseBuilder} in a
 * {@code directory} source; each release changes only {@code VERSION} and jars in {@code bundle/} (so its
 * {@code runtime_sha256} is the running program's) and is built on the last release the agent installed, so only the
 * bundles named change. The agent is installed from the fleet's tar.gz installer with {@code tar} and runs with
 * {@code bin/pm-agent --supervise}, its worker's health timeout lowered to {@value #HEALTH_TIMEOUT_SECONDS} s. In
 * order:
 * <ol>
 * <li>the agent enrolls at N; the hot-swap engine records the bundles of the official archive as running;</li>
 * <li>N+1 changes one bundle ({@value #LOCALUI}); "update now" on the server: the agent swaps it in the same java
 * process, reports {@code succeeded} (mode {@code hot-swap}, no {@code restarting}), downloads under 10 % of the full
 * archive, commits {@code versions/current}; local and server versions say N+1;</li>
 * <li>a broken release (that bundle changed again, plus a bundle that never resolves) is rolled back in the same
 * process: {@code rolled_back} / {@code HEALTH_CHECK} naming the broken bundle, the previous bytes run again;</li>
 * <li>a release changing the update worker's own bundle succeeds, and the new worker hot-swaps the next release;</li>
 * <li>the agent is halted (exit 137, {@code PM_AGENT_CRASH_AT}, run without the supervisor) during the swap
 * ({@code hotswap_swapping}), after the bundles changed ({@code hotswap_changed}) and during a rollback
 * ({@code hotswap_rolling_back}): restarted, it runs the complete old set, reports the run {@code rolled_back} /
 * {@code APPLY_FAILED}, skips that version on a plain check and installs it on "Update now" (a forced run).</li>
 * </ol>
 * A step that needs an earlier one is skipped when that one failed. Waits are on conditions (up to {@link #WAIT});
 * every failure carries the agent's and the server's log tails, the telemetry and the update files.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentHotSwapIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String FLEET = "e2e-hotswap";
    static final int HEALTH_TIMEOUT_SECONDS = 20;
    static final String LOCALUI = "io.printmaster.agent.localui";
    static final String WORKER = "io.printmaster.agent.worker";
    private static final String V1 = "0.1.1";
    private static final String V2_BROKEN = "0.1.2";
    private static final String V3_WORKER = "0.1.3";
    private static final String V4 = "0.1.4";
    private static final String V5 = "0.1.5";
    private static final String V6 = "0.1.6";
    private static final String V7_BROKEN = "0.1.7";

    private static AgentFleetFixture fleet;
    private static ApiClient admin;
    private static AgentInstallation agent;
    private static String agentId;
    private static String builtVersion;
    /** Published archives by version (N: the official one). */
    private static final Map<String, Path> archives = new HashMap<>();
    /** The last version the agent installed: the next release is built on it. */
    private static String installed;
    /** The steps that passed: a step that needs an earlier one is skipped, not failed, when that one failed. */
    private static final Set<Integer> passed = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        fleet = AgentFleetFixture.start("agent-hotswap-e2e", FLEET, "End-to-end hot swap", WAIT);
        admin = fleet.admin();
        builtVersion = fleet.builtVersion();
        archives.put(builtVersion, fleet.official().base());
        installed = builtVersion;
        agent = fleet.installAgent("e2e-hotswap-agent");
        agent.checkInEvery(10);
        // a release that never gets healthy is rolled back after this long (default 90 s)
        agent.workerConfig(Map.of("health_timeout_seconds", Integer.toString(HEALTH_TIMEOUT_SECONDS)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void theInstalledAgentEnrollsAndRecordsTheBundlesItRuns() throws Exception {
        agent.startSupervised();
        fleet.await("the installed agent enrolls into " + FLEET + " and reports " + builtVersion, () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(builtVersion, mine.get("current_version").asText());
            assertFalse(mine.get("last_seen_at").isNull(), "checked in");
            assertEquals(builtVersion, agent.status().get("current_version").asText());
            assertTrue(agent.status().path("worker_installed").asBoolean(), "the agent runs its update worker");
        });
        agentId = fleet.identifyAgent();
        fleet.await("the hot-swap engine records the bundles of " + builtVersion + " as running", () ->
                assertEquals(AgentReleaseBuilder.bundleHashes(archives.get(builtVersion)), agent.installedBundles(),
                        "installed-bundles.json: symbolic name -> sha256"));
        assertTrue(agent.agentPid().isPresent(), "an agent JVM runs under the supervisor");
        passed.add(1);
    }

    @Test
    @Order(2)
    void aReleaseChangingOneBundleIsHotSwappedInTheRunningProcess() throws Exception {
        requirePassed(1);
        long pid = agentPid();
        Map<String, String> before = agent.installedBundles();
        Path archive = publish(V1, Changes.bundles(LOCALUI));
        String stale = lastRunId();
        fleet.forceUpdate();

        awaitInstalled(V1, pid, stale);
        Map<String, String> expected = AgentReleaseBuilder.bundleHashes(archive);
        assertNotEquals(before.get(LOCALUI), expected.get(LOCALUI), "the release changes " + LOCALUI);
        assertEquals(expected, agent.installedBundles(), "installed-bundles.json names the new set\n" + fleet.diagnostics());
        assertSlotIsTheRelease(V1);

        JsonNode succeeded = assertHotSwapRun(V1, "succeeded");
        JsonNode meta = succeeded.path("metadata");
        assertEquals(List.of(LOCALUI), texts(meta.path("bundles_changed")), "bundles_changed: " + succeeded);
        long bytes = meta.path("bytes_downloaded").asLong(-1);
        long full = Files.size(archive);
        assertTrue(bytes > 0 && bytes * 10 < full, "bytes_downloaded " + bytes + " is under 10 % of the full archive ("
                + full + " bytes): " + succeeded);
        assertTrue(meta.path("swap_ms").isNumber() && meta.path("downtime_ms").isNumber(), "swap_ms and downtime_ms: "
                + succeeded);
        System.out.printf("hot swap to %s: swap_ms=%d downtime_ms=%d bytes_downloaded=%d (%.2f %% of %d)%n", V1,
                meta.path("swap_ms").asLong(), meta.path("downtime_ms").asLong(), bytes, 100.0 * bytes / full, full);
        passed.add(2);
    }

    @Test
    @Order(3)
    void aReleaseWhoseNewBundleNeverGetsActiveIsRolledBackInTheRunningProcess() throws Exception {
        requirePassed(2);
        long pid = agentPid();
        String current = installed;
        Map<String, String> before = agent.installedBundles();
        publish(V2_BROKEN, Changes.bundles(LOCALUI).broken());
        Instant triggered = Instant.now();
        String stale = lastRunId();
        trigger("check");

        awaitRolledBack(V2_BROKEN, current, "HEALTH_CHECK", pid, stale);
        Duration took = Duration.between(triggered, Instant.now());
        JsonNode last = agent.status().path("last_result");
        assertTrue(last.path("error_message").asText().contains(AgentReleaseBuilder.BROKEN_BUNDLE_SYMBOLIC_NAME),
                "the failing check names the bundle that never got active: " + last);
        assertEquals(before, agent.installedBundles(), "the previous bytes run again\n" + fleet.diagnostics());
        assertEquals(AgentReleaseBuilder.bundleHashes(archives.get(current)), agent.installedBundles());
        assertFalse(agent.versionEntries().contains(V2_BROKEN), "the slot of the rolled-back release is removed: "
                + agent.versionEntries());
        JsonNode rolledBack = assertHotSwapRun(V2_BROKEN, "rolled_back");
        assertEquals("HEALTH_CHECK", rolledBack.path("error_code").asText(), rolledBack.toString());
        assertTrue(rolledBack.path("error_message").asText().contains(AgentReleaseBuilder.BROKEN_BUNDLE_SYMBOLIC_NAME),
                rolledBack.toString());
        System.out.printf("rollback of %s: %d s after the check (health timeout %d s)%n", V2_BROKEN, took.toSeconds(),
                HEALTH_TIMEOUT_SECONDS);
        passed.add(3);
    }

    @Test
    @Order(4)
    void aReleaseChangingTheUpdateWorkerItselfSucceedsAndTheNewWorkerSwapsTheNextOne() throws Exception {
        requirePassed(2);
        long pid = agentPid();
        Path archive = publish(V3_WORKER, Changes.bundles(WORKER));
        String stale = lastRunId();
        trigger("check");
        awaitInstalled(V3_WORKER, pid, stale);
        assertEquals(AgentReleaseBuilder.bundleHashes(archive), agent.installedBundles(),
                "the new worker's bytes are installed\n" + fleet.diagnostics());
        assertEquals(List.of(WORKER), texts(assertHotSwapRun(V3_WORKER, "succeeded").path("metadata").path("bundles_changed")));
        assertSlotIsTheRelease(V3_WORKER);

        // the next release (built on V3: the new worker stays) is run by the new worker
        Path next = publish(V4, Changes.bundles(LOCALUI));
        fleet.await("the new worker takes local triggers", () -> assertTrue(agent.status().path("worker_installed").asBoolean()));
        stale = lastRunId();
        trigger("check");
        awaitInstalled(V4, pid, stale);
        assertEquals(AgentReleaseBuilder.bundleHashes(next), agent.installedBundles(), fleet.diagnostics());
        assertEquals(List.of(LOCALUI), texts(assertHotSwapRun(V4, "succeeded").path("metadata").path("bundles_changed")));
        assertSlotIsTheRelease(V4);
        passed.add(4);
    }

    @Test
    @Order(5)
    void anAgentHaltedDuringTheSwapRunsTheOldSetAfterARestartAndAForcedRunInstallsTheRelease() throws Exception {
        requirePassed(2);
        crashDuringSwap(V5, "hotswap_swapping", "swapping", Changes.bundles(LOCALUI));
        passed.add(5);
    }

    @Test
    @Order(6)
    void anAgentHaltedAfterTheBundlesChangedRunsTheOldSetAfterARestartAndAForcedRunInstallsTheRelease() throws Exception {
        requirePassed(2);
        crashDuringSwap(V6, "hotswap_changed", "swapping", Changes.bundles(LOCALUI));
        passed.add(6);
    }

    @Test
    @Order(7)
    void anAgentHaltedDuringARollbackRunsTheOldSetAfterARestart() throws Exception {
        requirePassed(3);
        crashDuringSwap(V7_BROKEN, "hotswap_rolling_back", "rolling_back", Changes.bundles(LOCALUI).broken());
        passed.add(7);
    }

    private static void requirePassed(int step) {
        Assumptions.assumeTrue(passed.contains(step), "needs step " + step + ", which did not pass");
    }

    /**
     * Stops the supervised agent, publishes {@code version}, runs the agent plainly with
     * {@code PM_AGENT_CRASH_AT=point}, triggers a check and waits for the halt (137); then starts it supervised and
     * checks it runs the complete old set and reports the interrupted run {@code rolled_back} / {@code APPLY_FAILED};
     * a plain check skips the version; for a good release, "Update now" then hot-swaps it. {@code journalPhase}: the
     * phase of the swap's journal the halt cuts short ({@code hotswap_changed} comes after the bundles changed, still
     * in {@code swapping}).
     */
    private static void crashDuringSwap(String version, String point, String journalPhase, Changes changes)
            throws Exception {
        if (!agent.isRunning()) {
            agent.startSupervised(); // an earlier crash step failed and left it stopped
        }
        fleet.await("the agent answers", () -> agent.status());
        String before = agent.status().get("current_version").asText();
        Map<String, String> oldSet = AgentReleaseBuilder.bundleHashes(archives.get(before));
        agent.stop();
        publish(version, changes);

        Instant started = Instant.now();
        agent.startPlain(Map.of("PM_AGENT_CRASH_AT", point));
        fleet.awaitReadyForCommands(before, started);
        trigger("check");
        int code;
        try {
            code = agent.awaitExit(WAIT);
        } catch (AssertionError e) {
            throw new AssertionError("the agent armed to halt at " + point + " did not exit; " + agent.threadDump()
                    + "\n" + fleet.diagnostics(), e);
        }
        assertEquals(137, code, "halted at " + point + "\n" + fleet.diagnostics());
        assertEquals(Optional.of(before), agent.slotFile("current").or(() -> Optional.of(builtVersion)),
                "the committed version is unchanged after the halt at " + point + "\n" + fleet.diagnostics());
        assertEquals(Optional.empty(), agent.slotFile("trial"), "a hot swap never writes a trial");

        agent.startSupervised();
        // the restarted worker reports the cut-short run, then may check for updates at once (and skip the version):
        // look for the report in the telemetry, not in the newest status
        JsonNode[] report = new JsonNode[1];
        fleet.await("after the halt at " + point + " the agent runs " + before + " and reports the run to " + version
                + " rolled back", () -> {
            assertEquals(before, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(before, fleet.serverRecord().get("current_version").asText(), "server: current_version");
            report[0] = newest(version, "rolled_back");
            assertNotNull(report[0], "a rolled_back transition of the run to " + version);
        });
        assertEquals("APPLY_FAILED", report[0].path("error_code").asText(), "the report: " + report[0]);
        String message = report[0].path("error_message").asText();
        assertTrue(message.contains(version) && (message.contains("cut short") || message.contains("interrupt")),
                "the run is reported as cut short: " + report[0]);
        // the journal of the swap is closed as interrupted (docs/admin-guide.md, "Testing crash recovery")
        JsonNode journal = JSON.readTree(agent.updateFile("hotswap.json"));
        assertEquals(version, journal.path("to_version").asText(), "hotswap.json: " + journal);
        assertEquals("interrupted", journal.path("result").asText(), "hotswap.json: " + journal);
        assertEquals(journalPhase, journal.path("interrupted_in").asText(), "the halt came in that phase: " + journal);
        assertEquals(Optional.of(before), agent.slotFile("current").or(() -> Optional.of(builtVersion)), "versions/current");
        assertEquals(oldSet, agent.installedBundles(), "the complete old set runs (that of " + before + ")\n" + fleet.diagnostics());
        assertFalse(agent.installedBundles().containsKey(AgentReleaseBuilder.BROKEN_BUNDLE_SYMBOLIC_NAME));

        // marked failed: a plain check skips it (a skip is the agent's own result; it is not reported to the server)
        String previousRun = agent.status().path("last_result").path("run_id").asText();
        trigger("check");
        fleet.await("a plain check skips " + version + ", which failed on this agent", () -> {
            JsonNode last = agent.status().path("last_result");
            assertNotEquals(previousRun, last.path("run_id").asText(), "a run after the check: " + last);
            assertEquals("skipped", last.path("status").asText(), last.toString());
            assertEquals(version, last.path("target_version").asText(), last.toString());
        });
        assertEquals(before, agent.status().get("current_version").asText());
        assertEquals(oldSet, agent.installedBundles(), fleet.diagnostics());

        if (!changes.brokenHealth()) {
            // "Update now" on the server (the agent's local "force" is refused by the fleet's policy: no local
            // override), which the skip message points to
            long pid = agentPid();
            String stale = lastRunId();
            fleet.forceUpdate();
            awaitInstalled(version, pid, stale);
            assertEquals(AgentReleaseBuilder.bundleHashes(archives.get(version)), agent.installedBundles(), fleet.diagnostics());
            assertHotSwapRun(version, "succeeded");
            assertSlotIsTheRelease(version);
        }
    }

    /**
     * Waits until {@code version} is installed by a hot swap in the JVM {@code pid}: the agent and the server report
     * it, the server's status is {@code succeeded}, {@code versions/current} names it; gives up at once when the run
     * ends otherwise or the JVM changes.
     */
    private static void awaitInstalled(String version, long pid, String staleRunId) throws Exception {
        fleet.await("the agent runs " + version + " (hot swap) and the server shows it succeeded", () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(version, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(version, agent.status().get("current_version").asText(), "agent: current_version");
            assertEquals(Optional.of(version), agent.slotFile("current"), "versions/current");
        }, () -> Optional.ofNullable(fleet.runEndedOtherwise(version, "succeeded", staleRunId).get()).orElse(restarted(pid)));
        assertEquals(Optional.of(pid), agent.agentPid(), "the same java process: no restart\n" + fleet.diagnostics());
        installed = version;
    }

    /** Waits until the run to {@code version} is reported rolled back with {@code code}, {@code current} still running. */
    private static void awaitRolledBack(String version, String current, String code, long pid, String staleRunId)
            throws Exception {
        fleet.await("the agent rolls back from " + version + " to " + current + " (" + code + ")", () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals("rolled_back", mine.get("status").asText(), "server: status");
            assertEquals(version, mine.get("target_version").asText(), "server: target_version");
            assertEquals(code, mine.get("last_error_code").asText(), "server: last_error_code");
            assertEquals(current, mine.get("current_version").asText(), "server: current_version");
            JsonNode local = agent.status();
            assertEquals(current, local.get("current_version").asText(), "agent: current_version");
            assertEquals("rolled_back", local.path("last_result").path("status").asText(), "agent: last_result");
            assertEquals(Optional.of(current), agent.slotFile("current").or(() -> Optional.of(builtVersion)),
                    "versions/current");
        }, () -> Optional.ofNullable(fleet.runEndedOtherwise(version, "rolled_back", staleRunId).get()).orElse(restarted(pid)));
        assertEquals(Optional.of(pid), agent.agentPid(), "the same java process: no restart\n" + fleet.diagnostics());
    }

    /**
     * The transitions of the newest run to {@code version} ending {@code finalStatus}, oldest first, are those of a
     * hot swap: downloading and applying in mode {@code hot-swap}, no restarting; the final transition.
     */
    private static JsonNode assertHotSwapRun(String version, String finalStatus) throws Exception {
        List<JsonNode> run = run(version, finalStatus);
        String where = "the run to " + version + ": " + run + "\n" + fleet.diagnostics();
        List<String> statuses = run.stream().map(t -> t.path("status").asText()).toList();
        assertFalse(statuses.contains("restarting"), "a hot swap never restarts: " + statuses + "\n" + where);
        JsonNode downloading = first(run, "downloading");
        assertNotNull(downloading, "a downloading transition: " + statuses + "\n" + where);
        assertEquals("hot-swap", downloading.path("metadata").path("mode").asText(), "downloading: " + downloading);
        assertTrue(downloading.path("metadata").path("bundles").isArray(), "downloading lists the bundles: " + downloading);
        JsonNode applying = first(run, "applying");
        assertNotNull(applying, "an applying transition: " + statuses + "\n" + where);
        assertEquals("hot-swap", applying.path("metadata").path("mode").asText(), "applying: " + applying);
        JsonNode last = run.get(run.size() - 1);
        assertEquals(finalStatus, last.path("status").asText(), where);
        assertEquals("hot-swap", last.path("metadata").path("mode").asText(), "final: " + last);
        return last;
    }

    /** The transitions of the newest run to {@code version} that reached {@code finalStatus}, oldest first. */
    static List<JsonNode> run(String version, String finalStatus) throws Exception {
        JsonNode all = fleet.json(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=200")).get("transitions");
        String runId = null;
        for (JsonNode t : all) { // newest first
            if (version.equals(t.path("target_version").asText()) && finalStatus.equals(t.path("status").asText())) {
                runId = t.path("run_id").asText();
                break;
            }
        }
        assertNotNull(runId, "a run to " + version + " that ended " + finalStatus + " in the telemetry: " + all);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : all) {
            if (runId.equals(t.path("run_id").asText())) {
                out.add(0, t);
            }
        }
        return out;
    }

    /** The newest transition to {@code version} with {@code status} in the server's telemetry; null when none. */
    private static JsonNode newest(String version, String status) throws Exception {
        for (JsonNode t : fleet.json(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=200")).get("transitions")) {
            if (version.equals(t.path("target_version").asText()) && status.equals(t.path("status").asText())) {
                return t;
            }
        }
        return null;
    }

    private static JsonNode first(List<JsonNode> run, String status) {
        return run.stream().filter(t -> status.equals(t.path("status").asText())).findFirst().orElse(null);
    }

    /**
     * {@code versions/<version>/} is the release: every file of its archive outside {@code etc/} is there with the
     * same bytes, and nothing else is (outside {@code etc/}).
     */
    private static void assertSlotIsTheRelease(String version) throws Exception {
        Path slot = agent.versions().resolve(version);
        Map<String, String> expected = new TreeMap<>();
        AgentReleaseBuilder.files(archives.get(version)).forEach((path, bytes) -> {
            if (!path.startsWith("etc/")) {
                expected.put(path, AgentReleaseBuilder.sha256(bytes));
            }
        });
        Map<String, String> actual = new TreeMap<>();
        if (Files.isDirectory(slot)) {
            try (Stream<Path> s = Files.walk(slot)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    String rel = slot.relativize(f).toString().replace('\\', '/');
                    if (!rel.startsWith("etc/")) {
                        actual.put(rel, AgentReleaseBuilder.sha256(f));
                    }
                }
            }
        }
        if (!expected.equals(actual)) {
            List<String> differ = new ArrayList<>();
            Set<String> paths = new TreeSet<>(expected.keySet());
            paths.addAll(actual.keySet());
            for (String p : paths) {
                if (!java.util.Objects.equals(expected.get(p), actual.get(p))) {
                    differ.add(p + (actual.containsKey(p) ? expected.containsKey(p) ? " (other bytes)" : " (extra)" : " (missing)"));
                }
            }
            throw new AssertionError("versions/" + version + " is not the release: " + differ + "\n" + fleet.diagnostics());
        }
        assertTrue(Files.isExecutable(slot.resolve("bin/pm-agent")), "bin/pm-agent is executable in the slot");
    }

    /** Builds {@code version} on the last installed release with {@code changes}, publishes it and waits for its manifest. */
    private static Path publish(String version, Changes changes) throws Exception {
        AgentReleaseBuilder base = installed.equals(builtVersion) ? fleet.official()
                : AgentReleaseBuilder.from(archives.get(installed), installed);
        Path archive = fleet.publish(base, version, changes);
        archives.put(version, archive);
        return archive;
    }

    /** The agent's own "check now" (a local tool on 127.0.0.1). */
    private static void trigger(String action) throws Exception {
        fleet.await("the agent accepts a local " + action, () -> {
            HttpResponse<String> r = agent.trigger(action);
            assertEquals(202, r.statusCode(), r.body());
        });
    }

    /** The server's id of the agent's newest run (empty when none). */
    private static String lastRunId() throws Exception {
        return fleet.serverRecord().path("last_run_id").asText("");
    }

    private static long agentPid() throws Exception {
        fleet.await("an agent JVM runs", () -> assertTrue(agent.agentPid().isPresent(), "no AgentMain process"));
        return agent.agentPid().orElseThrow();
    }

    /** A reason to stop waiting: the agent JVM is no longer {@code pid} (a restart is not a hot swap). */
    private static String restarted(long pid) {
        Optional<Long> now = agent.agentPid();
        return now.isPresent() && now.get() != pid ? "the agent JVM changed (pid " + pid + " -> " + now.get()
                + "): the agent restarted instead of hot-swapping" : null;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
