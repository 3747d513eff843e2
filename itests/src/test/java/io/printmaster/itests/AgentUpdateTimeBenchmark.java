package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Benchmark, not a test (its name does not end in IT, so the build never runs it; docs/benchmarks.md): the agent's
 * full-install update time, from "new version published" to "agent healthy on it", with real processes as in
 * {@link AgentUpdateEndToEndIT}. Each round publishes a new version in a {@code directory} source and measures
 * <ul>
 * <li>publish → available: file in the folder → sync → cached with a signed manifest;</li>
 * <li>trigger → healthy: the agent's local "check now" → download, unpack, hand over, restart, health check,
 * commit; the agent reports the new version with {@code succeeded};</li>
 * </ul>
 * and splits the second with the agent's telemetry timestamps. The agent's "check now" stands for "Update now" or a
 * due check without the wait for the next check-in. Run:
 * {@code mvn -B -o verify -pl itests -am -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=AgentUpdateTimeBenchmark -Dbench.rounds=5}.
 */
class AgentUpdateTimeBenchmark {
    private static final String FLEET = "bench-update";

    @Test
    void fullInstallUpdateTime() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        List<String> rows = new ArrayList<>();
        try (AgentFleetFixture fleet = AgentFleetFixture.start("bench-update", FLEET, "Benchmark", Duration.ofMinutes(3))) {
            AgentInstallation agent = fleet.installAgent("bench-update");
            agent.startSupervised();
            Eventually.within(Duration.ofMinutes(3), () -> {
                assertEquals("fleet", agent.status().path("policy_source").asText(), "checked in");
            });
            for (int i = 1; i <= rounds; i++) {
                String version = "0.1." + (20 + i);
                long publishStart = System.nanoTime();
                // a runtime change: the full install, not a hot swap (AgentHotSwapBenchmark measures that)
                fleet.publish(fleet.official(), version, AgentReleaseBuilder.Changes.fullInstall());
                long available = System.nanoTime();
                Instant triggeredAt = Instant.now();
                Eventually.within(Duration.ofMinutes(1), () ->
                        assertEquals(202, agent.trigger("check").statusCode(), "check accepted"));
                long triggered = System.nanoTime();
                Eventually.within(Duration.ofMinutes(5), () -> {
                    JsonNode s = agent.status();
                    assertEquals(version, s.path("current_version").asText());
                    assertEquals("succeeded", s.path("last_result").path("status").asText());
                });
                long healthy = System.nanoTime();
                // the report of the commit reaches the server just after the agent stored it
                Eventually.within(Duration.ofMinutes(1), () -> {
                    JsonNode mine = fleet.serverRecord();
                    assertEquals("succeeded", mine.path("status").asText());
                    assertEquals(version, mine.path("target_version").asText());
                });
                String agentId = fleet.identifyAgent();
                Map<String, Instant> at = transitions(fleet, agentId, triggeredAt);
                rows.add(String.format("| %d | %s | %.2f | %.2f | %s | %s | %s | %.2f |", i, version,
                        seconds(available - publishStart), seconds(healthy - triggered),
                        between(at, "downloading", "staging"), between(at, "staging", "restarting"),
                        between(at, "restarting", "succeeded"), seconds(healthy - publishStart)));
            }
        }
        StringBuilder out = new StringBuilder("| round | version | publish → available (s) | check → healthy (s) "
                + "| download (s) | unpack + hand-over (s) | restart + health check (s) | publish → healthy (s) |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        rows.forEach(r -> out.append(r).append('\n'));
        System.out.println(out);
        Path report = Path.of("target", "bench", "agent-update.md");
        Files.createDirectories(report.getParent());
        Files.writeString(report, out);
    }

    /** The first time each status was reported since {@code since}. */
    private static Map<String, Instant> transitions(AgentFleetFixture fleet, String agentId, Instant since) throws Exception {
        Map<String, Instant> at = new java.util.HashMap<>();
        for (JsonNode t : fleet.json(fleet.admin().get("/api/v1/agents/" + agentId + "/telemetry")).path("transitions")) {
            Instant when = Instant.parse(t.path("timestamp").asText());
            if (!when.isBefore(since)) {
                at.merge(t.path("status").asText(), when, (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        return at;
    }

    private static String between(Map<String, Instant> at, String from, String to) {
        if (!at.containsKey(from) || !at.containsKey(to)) {
            return "?";
        }
        return String.format("%.2f", Duration.between(at.get(from), at.get(to)).toMillis() / 1000.0);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
