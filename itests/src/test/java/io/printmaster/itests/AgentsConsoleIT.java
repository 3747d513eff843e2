package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;

/**
 * The console's Agents page in a real browser against the real server process: an agent enrolled over the API
 * reports a download and then a rollback whose message carries markup; the list shows the rollback and its error
 * code, agent-provided strings stay text, "Update now" queues a {@code force_update} the API lists as pending, and
 * the agent's page lists both transitions, newest first.
 */
class AgentsConsoleIT {
    private static final String HOSTNAME = "lab-<b>host</b>";
    private static final String HOSTILE_MESSAGE =
            "health check failed <script>window.pmPwned = 1</script><img src=x onerror=\"window.pmPwned = 2\">";

    private static ServerProcess server;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("pm-server-agents-console");
        server = ServerProcess.start("agents-console", data, ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/agents", "/api/v1/fleets");
        browser = new Browser(server.baseUri());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theAgentsPageShowsUpdateStateQueuesCommandsAndListsTransitions() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(Integer.toString(server.baseUri().getPort()));
        ApiClient admin = anonymous.login(server.adminPassword());
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "lab", "name", "Lab printers")).status());
        ApiClient.Response token = admin.post("/api/v1/fleets/lab/join-tokens", Map.of());
        assertEquals(201, token.status(), token.body());
        Map<String, Object> enroll = new LinkedHashMap<>();
        enroll.put("join_token", token.json().get("token"));
        enroll.put("hostname", HOSTNAME);
        enroll.put("platform", "linux");
        enroll.put("arch", "amd64");
        enroll.put("current_version", "1.0.0");
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", enroll);
        assertEquals(201, enrolled.status(), enrolled.body());
        String agentId = (String) enrolled.json().get("agent_id");
        ApiClient agent = anonymous.withToken((String) enrolled.json().get("credential"));

        Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<String, Object> downloading = transition("downloading", null, started);
        downloading.put("download_time_ms", 1500);
        downloading.put("size_bytes", 2_097_152);
        ApiClient.Response first = agent.post("/api/v1/agents/update/telemetry", downloading);
        assertEquals(200, first.status(), first.body());
        Map<String, Object> rolledBack = transition("rolled_back", "HEALTH_CHECK", started.plusSeconds(40));
        rolledBack.put("error_message", HOSTILE_MESSAGE);
        ApiClient.Response second = agent.post("/api/v1/agents/update/telemetry", rolledBack);
        assertEquals(200, second.status(), second.body());

        browser.open("/agents");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Agents");

        WebElement status = browser.visible("agent-status-" + agentId);
        assertEquals("rolled_back", status.getText());
        assertTrue(status.getAttribute("class").contains("bad"), "a rollback stands out: " + status.getAttribute("class"));
        assertEquals("HEALTH_CHECK", browser.visible("agent-error-" + agentId).getText());
        assertEquals("rolled_back", browser.visible("agent-result-" + agentId).getText());
        assertEquals("1.1.0", browser.visible("agent-target-" + agentId).getText());
        // the hostname is the agent's own claim: text, never markup
        assertEquals(HOSTNAME, browser.visible("agent-hostname-" + agentId).getText());
        assertTrue(browser.findAll(By.cssSelector("[data-testid=\"agent-row-" + agentId + "\"] b")).isEmpty());

        browser.click("update-now-" + agentId);
        WebElement queued = browser.withText(testId("command-queued-" + agentId), "queued for the next check-in");
        String commandId = queued.findElement(testId("command-id")).getText();
        assertTrue(!commandId.isBlank(), queued.getText());
        List<Map<String, Object>> pending = (List<Map<String, Object>>) admin.get("/api/v1/agents/" + agentId).json()
                .get("pending_commands");
        assertEquals(List.of(commandId), pending.stream().map(c -> c.get("id")).toList());
        assertEquals("force_update", pending.get(0).get("command"));

        browser.click("open-agent-" + agentId);
        browser.awaitPage("Agent " + agentId);
        browser.visible("pending-" + commandId);
        assertTrue(browser.visible("pending-" + commandId).getText().contains("force_update"));
        browser.visible("transitions");
        List<String> statuses = browser.findAll(By.cssSelector("[data-testid=\"transitions\"] tbody tr"))
                .stream().map(r -> r.getAttribute("data-status")).toList();
        assertEquals(List.of("rolled_back", "downloading"), statuses, "newest first");
        List<Map<String, Object>> stored = (List<Map<String, Object>>) admin.get("/api/v1/agents/" + agentId + "/telemetry")
                .json().get("transitions");
        Object newestId = stored.get(0).get("id");
        assertEquals(HOSTILE_MESSAGE, browser.visible("transition-message-" + newestId).getText());
        assertEquals("HEALTH_CHECK", browser.visible("transition-error-code-" + newestId).getText());
        assertTrue(browser.findAll(By.cssSelector("[data-testid=\"transitions\"] script, [data-testid=\"transitions\"] img")).isEmpty(),
                "the message never became markup");
        assertNull(((JavascriptExecutor) browser.driver()).executeScript("return window.pmPwned === undefined ? null : window.pmPwned;"));
        String older = browser.visible("transition-" + stored.get(1).get("id")).getText();
        assertTrue(older.contains("2.0 MiB") && older.contains("1.5 s") && older.contains("1.0.0 → 1.1.0"), older);

        // "Check now" from the detail page: the newer command joins the pending list at once
        browser.click("check-now-" + agentId);
        WebElement checkQueued = browser.withText(testId("command-queued-" + agentId), "queued for the next check-in");
        String checkId = checkQueued.findElement(testId("command-id")).getText();
        assertNotNull(browser.visible("pending-" + checkId));
    }

    private static Map<String, Object> transition(String status, String errorCode, Instant at) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", "run-1");
        t.put("status", status);
        t.put("current_version", "1.0.0");
        t.put("target_version", "1.1.0");
        t.put("error_code", errorCode);
        t.put("timestamp", at.toString());
        return t;
    }
}
