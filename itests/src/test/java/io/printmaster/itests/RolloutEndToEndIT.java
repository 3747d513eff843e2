package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.itests.AgentReleaseBuilder.Changes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 14 end to end, with real processes only: a server and three agents installed from the fleet's tar.gz
 * installer (unpacked with {@code tar}, run with {@code bin/pm-agent --supervise}) go through a rollout an
 * administrator creates, approves and then rolls back. In order:
 * <ol>
 * <li>the three agents enroll at N; the fleet's policy pins patch releases, so the release the test publishes,
 * {@value #NEXT} (only {@value #LOCALUI} changes, so agents hot-swap it), is not taken by the policy on its own;</li>
 * <li>a rollout of {@value #NEXT} with a canary of one, then one wave of the rest, {@code max_concurrent} 3 (so only
 * the canary wave holds the others back) and approval required is created: while it awaits approval, the agents'
 * update checks are offered nothing (they stay at N and the rollout has nothing in progress);</li>
 * <li>approved: exactly one agent (the canary) updates first; every other agent starts downloading only after the
 * canary succeeded; then all three run {@value #NEXT} in the JVM they started with, and the rollout is
 * {@code completed};</li>
 * <li>rolled back: each agent gets a rollback manifest for N bound to the rollout, swaps N's bundles back in the same
 * JVM, and the rollout ends {@code rolled_back}.</li>
 * </ol>
 * The server's rollout configuration ({@code io.printmaster.server.rollouts}, {@code hold_retry_seconds=5}) makes held
 * agents come back within seconds. Waits are on conditions; failures carry the rollout, every agent's status, the
 * server's telemetry and log tails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String FLEET = "e2e-rollout";
    private static final String LOCALUI = "io.printmaster.agent.localui";
    private static final String NEXT = "0.2.0";
    private static final int AGENTS = 3;

    private static AgentFleetFixture fleet;
    private static ApiClient admin;
    private static final List<AgentInstallation> agents = new ArrayList<>();
    /** Agent id → its installation, once enrolled. */
    private static final Map<String, AgentInstallation> byId = new LinkedHashMap<>();
    /** Agent id → the JVM it runs in after enrollment: the whole test keeps it. */
    private static final Map<String, Long> pids = new LinkedHashMap<>();
    private static String builtVersion;
    private static String rolloutId;
    private static final Set<Integer> passed = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        fleet = AgentFleetFixture.start("rollout-e2e", FLEET, "End-to-end rollout", WAIT);
        admin = fleet.admin();
        builtVersion = fleet.builtVersion();
        // held agents ask again after 5 s instead of a minute
        Path etc = Files.createDirectories(fleet.server().dataDir().resolve("etc"));
        Files.writeString(etc.resolve("io.printmaster.server.rollouts.cfg"), "hold_retry_seconds=5\n");
        setPolicyPinningPatchReleases();
        agents.add(fleet.installAgent("e2e-rollout-agent-1"));
        for (int i = 2; i <= AGENTS; i++) {
            agents.add(AgentInstallation.install(fleet.installer(), fleet.work().resolve("install-" + i),
                    "e2e-rollout-agent-" + i));
        }
        for (AgentInstallation a : agents) {
            a.checkInEvery(10);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (AgentInstallation a : agents.subList(Math.min(1, agents.size()), agents.size())) {
            a.close(); // the fixture closes the first
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void threeInstalledAgentsEnrollAtTheShippedVersion() throws Exception {
        for (AgentInstallation a : agents) {
            a.startSupervised();
        }
        await("the " + AGENTS + " installed agents enroll into " + FLEET + " at " + builtVersion, () -> {
            JsonNode list = fleet.json(admin.get("/api/v1/agents?fleet=" + FLEET)).get("agents");
            assertEquals(AGENTS, list.size(), "agents: " + list);
            for (JsonNode a : list) {
                assertEquals(builtVersion, a.get("current_version").asText(), a.toString());
                assertFalse(a.get("last_seen_at").isNull(), "checked in: " + a);
            }
            for (AgentInstallation a : agents) {
                assertTrue(a.status().path("worker_installed").asBoolean(), "worker of " + a.root());
                assertTrue(a.agentPid().isPresent(), "an agent JVM under " + a.root());
            }
        });
        for (JsonNode a : fleet.json(admin.get("/api/v1/agents?fleet=" + FLEET)).get("agents")) {
            String host = a.get("hostname").asText();
            String id = a.get("id").asText();
            // every installation enrolled once; match them through the agent id each reports locally
            for (AgentInstallation inst : agents) {
                if (id.equals(localAgentId(inst))) {
                    byId.put(id, inst);
                    pids.put(id, inst.agentPid().orElseThrow());
                }
            }
            assertNotNull(host);
        }
        assertEquals(AGENTS, byId.size(), "each installation is one enrolled agent: " + byId.keySet());
        passed.add(1);
    }

    @Test
    @Order(2)
    void aRolloutAwaitingApprovalOffersNothing() throws Exception {
        requirePassed(1);
        fleet.publish(fleet.official(), NEXT, Changes.bundles(LOCALUI));
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", Map.of("count", 1));
        plan.put("waves", List.of(Map.of("percent", 100)));
        plan.put("delay_between_waves_seconds", 0);
        plan.put("max_concurrent", AGENTS);
        plan.put("jitter_seconds", 0);
        plan.put("success_threshold_percent", 100);
        plan.put("failure_threshold_percent", 50);
        ApiClient.Response created = admin.post("/api/v1/rollouts", Map.of("component", "agent", "version", NEXT,
                "fleets", List.of(FLEET), "plan", plan, "require_approval", true));
        assertEquals(201, created.status(), created.body());
        JsonNode rollout = JSON.readTree(created.body()).get("rollout");
        rolloutId = rollout.get("id").asText();
        assertEquals("awaiting_approval", rollout.get("state").asText(), rollout.toString());
        assertEquals(AGENTS, rollout.path("counts").path("targeted").asInt(), "every agent of the fleet: " + rollout);

        Instant asked = Instant.now();
        for (AgentInstallation a : agents) {
            trigger(a, "check");
        }
        await("every agent ran an update check after the rollout was created", () -> {
            for (AgentInstallation a : agents) {
                String last = a.status().path("last_check_at").asText("");
                assertTrue(!last.isEmpty() && !Instant.parse(last).isBefore(asked), "last_check_at " + last);
                assertFalse(a.status().path("state").asText().equals("checking"), "still checking");
            }
        });
        JsonNode waiting = rollout();
        assertEquals("awaiting_approval", waiting.get("state").asText());
        assertEquals(0, waiting.path("counts").path("in_progress").asInt(), waiting.toString());
        assertEquals(0, waiting.path("counts").path("succeeded").asInt(), waiting.toString());
        for (AgentInstallation a : agents) {
            assertEquals(builtVersion, a.status().get("current_version").asText(), "nothing installed before approval");
        }
        passed.add(2);
    }

    @Test
    @Order(3)
    void approvedTheCanaryUpdatesFirstThenTheRestAndTheRolloutCompletes() throws Exception {
        requirePassed(2);
        ApiClient.Response approved = admin.post("/api/v1/rollouts/" + rolloutId + "/approve", Map.of());
        assertEquals(200, approved.status(), approved.body());
        assertEquals("running", JSON.readTree(approved.body()).get("rollout").get("state").asText());
        JsonNode audit = fleet.json(admin.get("/api/v1/audit?limit=50"));
        assertTrue(audit.toString().contains(rolloutId), "the approval is in the audit log: " + audit);

        await("all " + AGENTS + " agents run " + NEXT + " and the rollout is completed", () -> {
            JsonNode r = rollout();
            assertEquals(AGENTS, r.path("counts").path("succeeded").asInt(), "succeeded: " + r);
            assertEquals("completed", r.get("state").asText(), r.toString());
            for (Map.Entry<String, AgentInstallation> e : byId.entrySet()) {
                assertEquals(NEXT, e.getValue().status().get("current_version").asText(), "agent " + e.getKey());
            }
        });
        // the canary: the first to succeed; nobody else started before that
        Map<String, Instant> succeededAt = new LinkedHashMap<>();
        Map<String, Instant> startedAt = new LinkedHashMap<>();
        for (String id : byId.keySet()) {
            List<JsonNode> run = run(id, NEXT, "succeeded");
            succeededAt.put(id, Instant.parse(run.get(run.size() - 1).get("timestamp").asText()));
            startedAt.put(id, Instant.parse(first(run, "downloading").get("timestamp").asText()));
            assertEquals("hot-swap", run.get(run.size() - 1).path("metadata").path("mode").asText(), run.toString());
        }
        String canary = succeededAt.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
        for (String id : byId.keySet()) {
            if (!id.equals(canary)) {
                assertTrue(startedAt.get(id).isAfter(succeededAt.get(canary)), "agent " + id + " started downloading at "
                        + startedAt.get(id) + ", before the canary " + canary + " succeeded at "
                        + succeededAt.get(canary) + diagnostics());
            }
        }
        JsonNode waves = rollout().get("waves");
        assertEquals(1, waves.get(0).path("targeted").asInt(), "the canary wave holds one agent: " + waves);
        assertEquals(AGENTS - 1, waves.get(1).path("succeeded").asInt(), "the wave after it, the rest: " + waves);
        assertSameJvms();
        passed.add(3);
    }

    @Test
    @Order(4)
    void rolledBackEveryAgentSwapsTheShippedBundlesBackInTheSameProcess() throws Exception {
        requirePassed(3);
        ApiClient.Response rollback = admin.post("/api/v1/rollouts/" + rolloutId + "/rollback", Map.of());
        assertEquals(200, rollback.status(), rollback.body());
        assertEquals("rolling_back", JSON.readTree(rollback.body()).get("rollout").get("state").asText());
        for (AgentInstallation a : agents) {
            trigger(a, "check");
        }
        await("all " + AGENTS + " agents run " + builtVersion + " again and the rollout is rolled_back", () -> {
            JsonNode r = rollout();
            assertEquals("rolled_back", r.get("state").asText(), r.toString());
            for (Map.Entry<String, AgentInstallation> e : byId.entrySet()) {
                assertEquals(builtVersion, e.getValue().status().get("current_version").asText(), "agent " + e.getKey());
            }
        });
        for (String id : byId.keySet()) {
            List<JsonNode> run = run(id, builtVersion, "succeeded");
            assertEquals("hot-swap", run.get(run.size() - 1).path("metadata").path("mode").asText(),
                    "the rollback is a hot swap: " + run);
            assertEquals(AgentReleaseBuilder.bundleHashes(fleet.official().base()), byId.get(id).installedBundles(),
                    "agent " + id + " runs the shipped bundles again");
        }
        assertSameJvms();
        // a rolled-back release is withdrawn from the fleet: a check is offered nothing
        Instant asked = Instant.now();
        trigger(agents.get(0), "check");
        await("the agent's check after the rollback ends", () -> {
            String last = agents.get(0).status().path("last_check_at").asText("");
            assertTrue(!last.isEmpty() && !Instant.parse(last).isBefore(asked), "last_check_at " + last);
        });
        assertEquals(builtVersion, agents.get(0).status().get("current_version").asText());
        passed.add(4);
    }

    private static void setPolicyPinningPatchReleases() throws Exception {
        ObjectNode policy = (ObjectNode) fleet.json(admin.get("/api/v1/update-policies/" + FLEET)).get("policy");
        policy.put("version_pin_strategy", "patch");
        policy.put("update_check_days", 1);
        ApiClient.Response put = admin.send("PUT", "/api/v1/update-policies/" + FLEET, Map.of("policy", policy));
        assertEquals(200, put.status(), put.body());
    }

    private static JsonNode rollout() throws Exception {
        return fleet.json(admin.get("/api/v1/rollouts/" + rolloutId)).get("rollout");
    }

    private static String localAgentId(AgentInstallation a) throws Exception {
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + a.port() + "/api/enrollment/status"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("agent_id").asText();
    }

    /** The transitions of the newest run of agent {@code id} to {@code version} ending {@code finalStatus}, oldest first. */
    private static List<JsonNode> run(String id, String version, String finalStatus) throws Exception {
        JsonNode all = fleet.json(admin.get("/api/v1/agents/" + id + "/telemetry?limit=200")).get("transitions");
        String runId = null;
        for (JsonNode t : all) {
            if (version.equals(t.path("target_version").asText()) && finalStatus.equals(t.path("status").asText())) {
                runId = t.path("run_id").asText();
                break;
            }
        }
        assertNotNull(runId, "agent " + id + ": a run to " + version + " that ended " + finalStatus + ": " + all);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : all) {
            if (runId.equals(t.path("run_id").asText())) {
                out.add(0, t);
            }
        }
        return out;
    }

    private static JsonNode first(List<JsonNode> run, String status) {
        return run.stream().filter(t -> status.equals(t.path("status").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + status + " transition in " + run));
    }

    private static void assertSameJvms() {
        for (Map.Entry<String, Long> e : pids.entrySet()) {
            assertEquals(Optional.of(e.getValue()), byId.get(e.getKey()).agentPid(),
                    "agent " + e.getKey() + " kept its java process" + diagnostics());
        }
    }

    private static void trigger(AgentInstallation a, String action) throws Exception {
        await("the agent of " + a.root() + " accepts a local " + action, () -> {
            HttpResponse<String> r = a.trigger(action);
            assertEquals(202, r.statusCode(), r.body());
        });
    }

    private static void requirePassed(int step) {
        Assumptions.assumeTrue(passed.contains(step), "step " + step + " failed");
    }

    private static void await(String what, Eventually.Check check) throws Exception {
        try {
            Eventually.within(WAIT, check, () -> {
                for (AgentInstallation a : agents) {
                    if (a.process() != null && !a.process().isAlive()) {
                        return "the agent of " + a.root() + " exited with " + a.process().exitValue();
                    }
                }
                return null;
            });
        } catch (AssertionError | Exception e) {
            throw new AssertionError("waited for: " + what + "\nlast failure: " + e + diagnostics(), e);
        }
    }

    private static String diagnostics() {
        StringBuilder out = new StringBuilder("\n");
        try {
            out.append("rollout: ").append(rolloutId == null ? "(none)" : admin.get("/api/v1/rollouts/" + rolloutId).body())
                    .append('\n');
        } catch (Exception e) {
            out.append("rollout: ").append(e).append('\n');
        }
        for (Map.Entry<String, AgentInstallation> e : byId.entrySet()) {
            try {
                out.append("agent ").append(e.getKey()).append(" status: ").append(e.getValue().status()).append('\n');
                out.append("  telemetry: ").append(admin.get("/api/v1/agents/" + e.getKey() + "/telemetry?limit=12")
                        .body()).append('\n');
                out.append("  state.json: ").append(e.getValue().updateFile("state.json")).append('\n');
            } catch (Exception | AssertionError x) {
                out.append("agent ").append(e.getKey()).append(": ").append(x).append('\n');
            }
        }
        for (AgentInstallation a : agents) {
            out.append(a.logTail()).append('\n');
        }
        out.append(fleet.server().logTail());
        return out.toString();
    }
}
