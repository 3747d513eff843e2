package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.itests.FixtureBundles.Payload;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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
 * Issue 6: a vendor plugin delivered as a component with its own release stream, end to end with real processes: a
 * server with a {@code directory} release source, an agent installed from its fleet's tar.gz installer and run with
 * {@code --supervise}, and a plugin (the hot-swap payload fixture bundle, marked {@code PrintMaster-Component:
 * acme-payload}) dropped into the agent's {@code <data>/plugins}. Publishing 1.0.2 of the component makes the next check
 * replace it through FileInstall behind the health gate; a 1.0.3 whose activator throws is put back. Steps in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentPluginUpdateIT {
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final String FLEET = "plugin-stream";
    private static final String COMPONENT = "acme-payload";

    private static AgentFleetFixture fleet;
    private static ApiClient admin;
    private static AgentInstallation agent;
    private static String agentId;
    private static Browser browser;
    private static final java.util.Set<Integer> passed = new java.util.TreeSet<>();

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        fleet = AgentFleetFixture.start("agent-plugin-stream", FLEET, "Plugin stream", WAIT);
        admin = fleet.admin();
        agent = fleet.installAgent("plugin-stream-agent");
        agent.checkInEvery(10);
        Files.createDirectories(agent.dataDir().resolve("plugins"));
        Files.copy(release(1, Payload.GOOD), pluginFile());
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
    void theAgentReportsItsPluginAndRunsIt() throws Exception {
        agent.startSupervised();
        fleet.await("the agent enrolls, runs its worker and checks in", () -> {
            JsonNode mine = fleet.serverRecord();
            assertTrue(!mine.path("last_seen_at").isNull(), "checked in");
            assertTrue(agent.status().path("worker_installed").asBoolean(), "worker");
        });
        agentId = fleet.identifyAgent();
        passed.add(1);
    }

    @Test
    @Order(2)
    void aNewReleaseOfThePluginsStreamReplacesItBehindTheHealthGate() throws Exception {
        Assumptions.assumeTrue(passed.contains(1), "needs step 1");
        Path v2 = release(2, Payload.GOOD);
        publish("1.0.2", v2);
        HttpResponse<String> check = agent.trigger("check");
        assertEquals(202, check.statusCode(), check.body());

        JsonNode done = awaitPluginRun("1.0.2");
        assertEquals("succeeded", done.path("status").asText(), done.toString());
        assertEquals("plugin", done.path("metadata").path("mode").asText());
        assertEquals(COMPONENT, done.path("metadata").path("component").asText());
        assertEquals("1.0.1", done.path("metadata").path("from_version").asText());
        assertArrayEquals(Files.readAllBytes(v2), Files.readAllBytes(pluginFile()),
                "the plugins folder holds the new release: a restart runs it");
        assertTrue(Files.notExists(agent.dataDir().resolve("update/plugin-backup/" + pluginFile().getFileName())),
                "no backup left once the new release passed");
        passed.add(2);
    }

    @Test
    @Order(3)
    void aReleaseWhoseActivatorThrowsIsPutBackAndTheConsoleShowsThePluginsRun() throws Exception {
        Assumptions.assumeTrue(passed.contains(2), "needs step 2");
        byte[] running = Files.readAllBytes(pluginFile());
        publish("1.0.3", release(3, Payload.THROWS));
        HttpResponse<String> check = agent.trigger("check");
        assertEquals(202, check.statusCode(), check.body());

        JsonNode done = awaitPluginRun("1.0.3");
        assertEquals("rolled_back", done.path("status").asText(), done.toString());
        assertEquals("HEALTH_CHECK", done.path("error_code").asText(), done.toString());
        assertTrue(done.path("error_message").asText().contains("the payload refuses to start"), done.toString());
        assertArrayEquals(running, Files.readAllBytes(pluginFile()), "1.0.2 is back in the plugins folder");
        assertTrue(agent.status().path("worker_installed").asBoolean(), "the agent runs on");

        browser = new Browser(fleet.server().baseUri());
        browser.open("/agents/" + agentId);
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", fleet.server().adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Agent " + agentId);
        long id = done.path("id").asLong();
        assertEquals("plugin " + COMPONENT + " 1.0.2 → 1.0.3", browser.visible("transition-versions-" + id).getText());
        assertEquals("rolled_back", browser.visible("transition-status-" + id).getText());
    }

    /** The final transition of the plugin run to {@code version}, once the agent reported it. */
    private static JsonNode awaitPluginRun(String version) throws Exception {
        JsonNode[] found = new JsonNode[1];
        fleet.await("the agent reports the end of its run to " + COMPONENT + " " + version, () -> {
            found[0] = null;
            for (JsonNode t : fleet.json(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=50")).get("transitions")) {
                boolean mine = version.equals(t.path("target_version").asText())
                        && COMPONENT.equals(t.path("metadata").path("component").asText());
                boolean terminal = java.util.List.of("succeeded", "failed", "rolled_back", "skipped")
                        .contains(t.path("status").asText());
                if (mine && terminal && found[0] == null) {
                    found[0] = t; // newest first
                }
            }
            assertNotNull(found[0], "a final transition of the plugin run");
        });
        return found[0];
    }

    private static Path pluginFile() {
        return agent.dataDir().resolve("plugins").resolve(COMPONENT + ".jar");
    }

    /** The payload fixture bundle of {@code generation} as a release of the component. */
    private static Path release(int generation, Payload kind) {
        Path jars = fleet.work().resolve("jars");
        try {
            Files.createDirectories(jars);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return FixtureBundles.withHeader(FixtureBundles.payload(jars, generation, kind),
                jars.resolve(COMPONENT + "-" + generation + "-" + kind + ".jar"), "PrintMaster-Component", COMPONENT);
    }

    /** Publishes the jar as {@code printmaster-acme-payload-v<version>-linux-<arch>.jar} and waits for its manifest. */
    private static void publish(String version, Path jar) throws Exception {
        String name = "printmaster-" + COMPONENT + "-v" + version + "-" + AgentReleaseBuilder.platform() + ".jar";
        Path releaseFolder = fleet.releaseFolder();
        Path sums = releaseFolder.resolve("SHA256SUMS");
        String before = Files.exists(sums) ? Files.readString(sums) : "";
        Files.writeString(releaseFolder.resolve(".SHA256SUMS.tmp"), before + FixtureBundles.sha256(jar) + "  " + name + "\n");
        Files.move(releaseFolder.resolve(".SHA256SUMS.tmp"), sums, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.copy(jar, releaseFolder.resolve("." + name + ".part"));
        Files.move(releaseFolder.resolve("." + name + ".part"), releaseFolder.resolve(name),
                StandardCopyOption.ATOMIC_MOVE);
        fleet.requestSync();
        fleet.awaitSigned(COMPONENT, version, "jar");
    }
}
