package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.itests.AgentReleaseBuilder.Changes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Benchmark, not a test (its name does not end in IT, so the build never runs it; docs/benchmarks.md): the agent's
 * hot-swap update of one changed bundle, with real processes as in {@link AgentHotSwapIT}. Each round publishes a
 * release built on the previous one with one bundle changed ({@code -Dbench.bundle}, default
 * {@value AgentHotSwapIT#LOCALUI}), triggers the agent's local "check now" and measures
 * <ul>
 * <li>publish → available: file in the folder → sync → cached with a signed manifest;</li>
 * <li>check → healthy: the local trigger → the agent reports the new version with {@code succeeded};</li>
 * <li>manifest received → healthy: the run's {@code pending} transition (the worker has the signed offer) → its
 * {@code succeeded} transition, from the agent's telemetry timestamps, split by the run's transitions (pending →
 * downloading → staging → applying → succeeded);</li>
 * <li>the run's {@code swap_ms} (swap call → end of the health gate) and {@code downtime_ms} (some bundle of the
 * release not active), from the {@code succeeded} metadata;</li>
 * <li>{@code bytes_downloaded} against the size of the release's full archive (what a full install downloads).</li>
 * </ul>
 * Every round must keep the agent JVM (same pid): a round that restarts fails the benchmark. Run:
 * {@code mvn -B -o verify -pl itests -am -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=AgentHotSwapBenchmark -Dbench.rounds=5}.
 */
class AgentHotSwapBenchmark {
    private static final String FLEET = "bench-hotswap";

    @Test
    void oneBundleHotSwapTime() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        String bundle = System.getProperty("bench.bundle", AgentHotSwapIT.LOCALUI);
        List<String> rows = new ArrayList<>();
        try (AgentFleetFixture fleet = AgentFleetFixture.start("bench-hotswap", FLEET, "Benchmark", Duration.ofMinutes(3))) {
            AgentInstallation agent = fleet.installAgent("bench-hotswap");
            long installerSize = Files.size(fleet.installer());
            agent.startSupervised();
            Eventually.within(Duration.ofMinutes(3), () -> {
                assertEquals("fleet", agent.status().path("policy_source").asText(), "checked in");
                assertEquals(true, agent.status().path("worker_installed").asBoolean(), "worker");
            });
            String agentId = fleet.identifyAgent();
            AgentReleaseBuilder base = fleet.official();
            for (int i = 1; i <= rounds; i++) {
                String version = "0.1." + (40 + i);
                Optional<Long> pid = agent.agentPid();
                long publishStart = System.nanoTime();
                Path archive = fleet.publish(base, version, Changes.bundles(bundle));
                long available = System.nanoTime();
                Eventually.within(Duration.ofMinutes(1), () ->
                        assertEquals(202, agent.trigger("check").statusCode(), "check accepted"));
                long triggered = System.nanoTime();
                try {
                    Eventually.within(Duration.ofMinutes(3), () -> {
                        JsonNode s = agent.status();
                        assertEquals(version, s.path("current_version").asText());
                        assertEquals("succeeded", s.path("last_result").path("status").asText());
                    });
                } catch (AssertionError | Exception e) {
                    throw new AssertionError("round " + i + ": " + e + "\n" + agent.logTail(), e);
                }
                long healthy = System.nanoTime();
                assertEquals(pid, agent.agentPid(), "round " + i + ": the same agent JVM (a hot swap)\n" + agent.logTail());
                // the report of the run reaches the server just after the agent stored it
                List<JsonNode> run = new ArrayList<>();
                Eventually.within(Duration.ofMinutes(1), () -> {
                    run.clear();
                    run.addAll(run(fleet, agentId, version));
                    assertEquals("succeeded", run.get(run.size() - 1).path("status").asText(), "run: " + run);
                });
                JsonNode pending = run.stream().filter(t -> "pending".equals(t.path("status").asText())).findFirst()
                        .orElse(null);
                assertNotNull(pending, "a pending transition: " + run);
                JsonNode succeeded = run.get(run.size() - 1);
                JsonNode meta = succeeded.path("metadata");
                assertEquals("hot-swap", meta.path("mode").asText(), "round " + i + " hot-swapped: " + succeeded);
                long received = Duration.between(Instant.parse(pending.path("timestamp").asText()),
                        Instant.parse(succeeded.path("timestamp").asText())).toMillis();
                long bytes = meta.path("bytes_downloaded").asLong(-1);
                long full = Files.size(archive);
                rows.add(String.format("| %d | %s | %.2f | %.2f | %.3f | %s | %s | %s | %s | %s | %s | %d | %d | %.2f %% |",
                        i, version, seconds(available - publishStart), seconds(healthy - triggered), received / 1000.0,
                        between(run, "pending", "downloading"), between(run, "downloading", "staging"),
                        between(run, "staging", "applying"), between(run, "applying", "succeeded"),
                        meta.path("swap_ms").asText("?"), meta.path("downtime_ms").asText("?"), bytes, full,
                        100.0 * bytes / full));
                base = AgentReleaseBuilder.from(archive, version);
            }
            rows.add("");
            rows.add("installer of the fleet: " + installerSize + " bytes; changed bundle: " + bundle);
        }
        StringBuilder out = new StringBuilder("| round | version | publish → available (s) | check → healthy (s) "
                + "| manifest received → healthy (s) | pending → downloading (s) | downloading → staging (s) "
                + "| staging → applying (s) | applying → succeeded (s) | swap_ms | downtime_ms | bytes downloaded "
                + "| full archive (bytes) | downloaded / full |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        rows.forEach(r -> out.append(r).append('\n'));
        System.out.println(out);
        Path report = Path.of("target", "bench", "agent-hotswap.md");
        Files.createDirectories(report.getParent());
        Files.writeString(report, out);
    }

    /** The transitions of the newest run to {@code version}, oldest first. */
    private static List<JsonNode> run(AgentFleetFixture fleet, String agentId, String version) throws Exception {
        JsonNode all = fleet.json(fleet.admin().get("/api/v1/agents/" + agentId + "/telemetry?limit=100")).path("transitions");
        String runId = null;
        for (JsonNode t : all) {
            if (version.equals(t.path("target_version").asText())) {
                runId = t.path("run_id").asText();
                break;
            }
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : all) {
            if (runId != null && runId.equals(t.path("run_id").asText())) {
                out.add(0, t);
            }
        }
        if (out.isEmpty()) {
            throw new AssertionError("no run to " + version + " in the telemetry: " + all);
        }
        return out;
    }

    /** Seconds from the run's first {@code from} transition to its first {@code to} transition; "?" when absent. */
    private static String between(List<JsonNode> run, String from, String to) {
        Instant a = null;
        Instant b = null;
        for (JsonNode t : run) {
            Instant when = Instant.parse(t.path("timestamp").asText());
            if (a == null && from.equals(t.path("status").asText())) {
                a = when;
            }
            if (b == null && to.equals(t.path("status").asText())) {
                b = when;
            }
        }
        return a == null || b == null ? "?" : String.format("%.3f", Duration.between(a, b).toMillis() / 1000.0);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
