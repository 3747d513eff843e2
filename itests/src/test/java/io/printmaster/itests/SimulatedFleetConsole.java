package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.SimulatedAgent;
import io.printmaster.itests.sim.VirtualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the console's live browser tests share: the real server with a directory release source holding agent
 * {@code from} and {@code to}, a {@link FleetSimulator} on it, and a browser logged in with the live stream up.
 */
final class SimulatedFleetConsole implements AutoCloseable {
    final String from;
    final String to;
    final ServerProcess server;
    final ApiClient anonymous;
    final ApiClient admin;
    final Path releases;
    final FleetSimulator sim;
    final Browser browser;

    private SimulatedFleetConsole(String from, String to, ServerProcess server, ApiClient anonymous, ApiClient admin,
            Path releases, FleetSimulator sim, Browser browser) {
        this.from = from;
        this.to = to;
        this.server = server;
        this.anonymous = anonymous;
        this.admin = admin;
        this.releases = releases;
        this.sim = sim;
        this.browser = browser;
    }

    /**
     * Starts the server (named {@code name}), waits until release {@code to} is signed and cached, and logs in.
     * {@code browserHolder} receives the browser as soon as it exists, so a failure screenshot can find it.
     */
    static SimulatedFleetConsole start(String name, String from, String to,
            java.util.function.Consumer<Browser> browserHolder) throws Exception {
        Path data = Files.createTempDirectory("pm-server-" + name);
        Files.createDirectories(data.resolve("etc"));
        // the simulated agents never download: any bytes do, as long as the checksums match
        Path releases = ReleaseFolder.write(data.resolve("releases-in"), 15, from, to);
        ReleaseFolder.configureSource(data, "sim", releases);
        ServerProcess server = ServerProcess.start(name, data, ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        FleetSimulator sim = null;
        Browser browser = null;
        try {
            server.awaitEndpoints("/api/v1/dashboard", "/api/v1/events", "/api/v1/rollouts", "/api/v1/agents");
            ApiClient anonymous = ApiClient.anonymous(Integer.toString(server.baseUri().getPort()));
            ApiClient admin = anonymous.login(server.adminPassword());
            IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
                ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=" + to);
                assertEquals(200, r.status(), r.body());
                assertFalse(((List<?>) r.json().get("manifests")).isEmpty(), "signed manifest of " + to + ": " + r.body());
            });
            sim = new FleetSimulator("http://127.0.0.1:" + server.baseUri().getPort(), VirtualClock.startingNow(), 6, 15);
            browser = new Browser(server.baseUri());
            browserHolder.accept(browser);
            ConsoleFixture.logIn(browser, server, "Dashboard");
            browser.withText(testId("live-status"), "Live");
            return new SimulatedFleetConsole(from, to, server, anonymous, admin, releases, sim, browser);
        } catch (Exception | Error e) {
            try {
                if (sim != null) {
                    sim.close();
                }
            } finally {
                ConsoleFixture.close(browser, server);
            }
            throw e;
        }
    }

    /** A new fleet {@code id} and {@code count} simulated agents of version {@code from} enrolled in it. */
    List<SimulatedAgent> fleet(String id, int count) throws Exception {
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", id, "name", "Simulated " + id)).status());
        ApiClient.Response token = admin.post("/api/v1/fleets/" + id + "/join-tokens", Map.of("max_uses", count));
        assertEquals(201, token.status(), token.body());
        return sim.enroll((String) token.json().get("token"), count, id, from, Duration.ZERO, Duration.ofHours(6));
    }

    /** A one-wave rollout of agent {@code to} to {@code fleet}, started at once; returns its id. */
    String rollout(String fleet, int maxConcurrent, int failurePercent) throws Exception {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("waves", List.of(Map.of("percent", 100)));
        plan.put("max_concurrent", maxConcurrent);
        // a wave whose success threshold is 0 counts as reached at once: the rollout would end before any offer
        plan.put("success_threshold_percent", 50);
        plan.put("failure_threshold_percent", failurePercent);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("component", "agent");
        body.put("version", to);
        body.put("fleets", List.of(fleet));
        body.put("plan", plan);
        body.put("require_approval", false);
        ApiClient.Response r = admin.post("/api/v1/rollouts", body);
        assertEquals(201, r.status(), r.body());
        return (String) ((Map<?, ?>) r.json().get("rollout")).get("id");
    }

    /** Closes the simulator (failing when the server failed any of its requests), then the browser and the server. */
    @Override
    public void close() throws Exception {
        try {
            List<String> errors = sim.serverErrors();
            sim.close();
            assertEquals(List.of(), errors, "requests the server failed");
        } finally {
            ConsoleFixture.close(browser, server);
        }
    }
}
