package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FLEET = "bench-update";

    @Test
    void fullInstallUpdateTime() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        Path work = Files.createTempDirectory("pm-bench-update");
        AgentReleaseBuilder releases = AgentReleaseBuilder.fromBuild();
        Path folder = Files.createDirectories(work.resolve("releases"));
        List<String> rows = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start("bench-update")) {
            server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts",
                    "/api/v1/release-sources");
            ApiClient admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "Benchmark")).status());
            assertEquals(201, admin.post("/api/v1/release-sources", Map.of("type", "directory", "name", "bench",
                    "config", Map.of("path", folder.toString()))).status());
            awaitPublished(admin, releases.builtVersion());
            Path installer = work.resolve("installer.tar.gz");
            HttpResponse<Path> download = admin.download("/api/v1/installers/" + FLEET + "/"
                    + AgentReleaseBuilder.platform() + "?format=tar.gz", installer);
            assertEquals(200, download.statusCode());
            try (AgentInstallation agent = AgentInstallation.install(installer, work.resolve("install"), "bench-update")) {
                agent.startSupervised();
                Eventually.within(Duration.ofMinutes(3), () -> {
                    assertEquals("fleet", agent.status().path("policy_source").asText(), "checked in");
                });
                for (int i = 1; i <= rounds; i++) {
                    String version = "0.1." + (20 + i);
                    long publishStart = System.nanoTime();
                    // a runtime change: the full install, not a hot swap (AgentHotSwapBenchmark measures that)
                    releases.publish(folder, version, AgentReleaseBuilder.Changes.fullInstall());
                    admin.post("/api/v1/releases/sync", Map.of());
                    awaitPublished(admin, version);
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
                        JsonNode mine = JSON.readTree(admin.get("/api/v1/agents?fleet=" + FLEET).body())
                                .path("agents").get(0);
                        assertEquals("succeeded", mine.path("status").asText());
                        assertEquals(version, mine.path("target_version").asText());
                    });
                    String agentId = JSON.readTree(admin.get("/api/v1/agents?fleet=" + FLEET).body())
                            .path("agents").get(0).path("id").asText();
                    Map<String, Instant> at = transitions(admin, agentId, triggeredAt);
                    rows.add(String.format("| %d | %s | %.2f | %.2f | %s | %s | %s | %.2f |", i, version,
                            seconds(available - publishStart), seconds(healthy - triggered),
                            between(at, "downloading", "staging"), between(at, "staging", "restarting"),
                            between(at, "restarting", "succeeded"), seconds(healthy - publishStart)));
                }
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
    private static Map<String, Instant> transitions(ApiClient admin, String agentId, Instant since) throws Exception {
        Map<String, Instant> at = new java.util.HashMap<>();
        for (JsonNode t : JSON.readTree(admin.get("/api/v1/agents/" + agentId + "/telemetry").body()).path("transitions")) {
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

    private static void awaitPublished(ApiClient admin, String version) throws Exception {
        String query = "?component=agent&version=" + version + "&platform=linux&arch=" + AgentReleaseBuilder.arch()
                + "&format=tar.gz";
        Eventually.within(Duration.ofMinutes(3), () -> {
            JsonNode manifests = JSON.readTree(admin.get("/api/v1/releases/manifests" + query).body()).get("manifests");
            if (manifests.isEmpty()) {
                admin.post("/api/v1/releases/sync", Map.of());
            }
            assertEquals(1, manifests.size(), "manifest of " + version);
        });
    }
}
