package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

/**
 * A real agent, installed from its fleet's installer, against a real server:
 * <ol>
 * <li>a check that finds nothing to install is reported: the agent's local status says {@code up_to_date} with its
 * next check, and the server's agent record has that {@code next_check_at} (the agent sends it in every check-in)
 * and the status {@code up_to_date};</li>
 * <li>with {@code allow_local_override=true} the agent's local page (headless Chromium) edits the local policy: a
 * bad value shows the server validator's message next to its field and changes nothing, a good one is saved to
 * {@code etc/local-policy.json} and survives a reload; "Check now" starts a check whose result the page shows;</li>
 * <li>with the override turned off (the settings file changed while the agent runs) the page is read-only and says
 * why, and the local API refuses a change with 403 {@code local_override_disabled}.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentLocalPageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String FLEET = "local-page";
    private static final Duration WEEK = Duration.ofDays(7);
    private static final String DEFAULT_POLICY = "{\"policy\":{\"update_check_days\":7,\"version_pin_strategy\":\"minor\","
            + "\"allow_major_upgrade\":false,\"target_version\":null,\"collect_telemetry\":true,\"maintenance_window\":"
            + "{\"enabled\":false,\"start_hour\":2,\"start_min\":0,\"end_hour\":4,\"end_min\":0,\"timezone\":\"UTC\","
            + "\"days_of_week\":[0,1,2,3,4,5,6]},\"rollout_control\":{\"staggered\":false,\"max_concurrent\":10,"
            + "\"batch_size\":50,\"delay_between_waves\":1800,\"jitter_seconds\":300,\"emergency_abort\":false}}}";

    private static AgentFleetFixture fleet;
    private static AgentInstallation agent;
    private static String agentId;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        fleet = AgentFleetFixture.start("agent-local-page", FLEET, "Local page", WAIT);
        agent = fleet.installAgent("local-page-agent");
        agent.checkInEvery(10);
        settings("allow_local_override=true\n");
        Instant started = Instant.now();
        agent.startSupervised();
        fleet.awaitReadyForCommands(fleet.builtVersion(), started);
        agentId = fleet.identifyAgent();
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

    /** {@code R/data/etc/io.printmaster.agent.cfg}, which FileInstall applies while the agent runs. */
    private static void settings(String text) throws Exception {
        Path etc = Files.createDirectories(agent.dataDir().resolve("etc"));
        Files.writeString(etc.resolve("io.printmaster.agent.cfg"), text);
    }

    private static Path localPolicyFile() {
        return agent.dataDir().resolve("etc").resolve("local-policy.json");
    }

    /** Starts a check from a local tool; a run already going (the first start's own check) is waited out. */
    private static String checkNow() throws Exception {
        String[] runId = new String[1];
        fleet.await("the agent accepts a check", () -> {
            HttpResponse<String> r = agent.trigger("check");
            assertEquals(202, r.statusCode(), r.body());
            runId[0] = JSON.readTree(r.body()).get("run_id").asText();
        });
        return runId[0];
    }

    @Test
    @Order(1)
    void aCheckThatFindsNothingIsReportedUpToDateWithTheNextCheck() throws Exception {
        String runId = checkNow();
        Instant asked = Instant.now();
        fleet.await("the agent's check " + runId + " ends up to date", () -> {
            JsonNode local = agent.status();
            assertEquals(runId, local.path("last_result").path("run_id").asText(), local.toString());
            assertEquals("up_to_date", local.path("last_result").path("status").asText(), local.toString());
            assertFalse(local.path("next_check_at").isNull(), "the local page shows the next check: " + local);
        });
        fleet.await("the server knows the agent is up to date and when it checks next", () -> {
            JsonNode record = fleet.json(fleet.admin().get("/api/v1/agents/" + agentId));
            assertFalse(record.path("next_check_at").isNull(), record.toString());
            Instant next = Instant.parse(record.get("next_check_at").asText());
            // the fleet's default policy: weekly, plus a jitter of at most an hour
            assertTrue(!next.isBefore(asked.plus(WEEK).minusSeconds(60))
                    && next.isBefore(Instant.now().plus(WEEK).plus(Duration.ofHours(1))), "next_check_at " + next);
            assertEquals("up_to_date", record.path("status").asText(), record.toString());
        });
    }

    @Test
    @Order(2)
    void withLocalOverrideThePageEditsTheLocalPolicyWithTheServersValidation() throws Exception {
        browser = new Browser(URI.create("http://127.0.0.1:" + agent.port() + "/"));
        browser.open("/");
        browser.visible("local-policy");
        browser.withText(Browser.testId("override"), "Local overrides are on");
        String before = Files.exists(localPolicyFile()) ? Files.readString(localPolicyFile()) : null;

        browser.typeById("lp-maintenance_window-timezone", "Mars/Olympus");
        browser.typeById("lp-update_check_days", "400");
        browser.click("save-policy");
        browser.withText(Browser.testId("err-maintenance_window-timezone"), "unknown time zone 'Mars/Olympus'");
        browser.withText(Browser.testId("err-update_check_days"), "1 to 365");
        browser.withText(Browser.testId("save-result"), "Not saved");
        assertEquals("true", browser.find(By.id("lp-update_check_days")).getDomAttribute("aria-invalid"));
        assertEquals(before, Files.exists(localPolicyFile()) ? Files.readString(localPolicyFile()) : null,
                "a refused policy changes nothing");

        browser.typeById("lp-maintenance_window-timezone", "Europe/Berlin");
        browser.typeById("lp-update_check_days", "3");
        browser.check("lp-maintenance_window-enabled", true);
        browser.click("save-policy");
        browser.withText(Browser.testId("save-result"), "Saved");
        assertEquals("", browser.find(Browser.testId("err-update_check_days")).getText(), "the errors are cleared");
        JsonNode saved = JSON.readTree(localPolicyFile().toFile());
        assertEquals(3, saved.get("update_check_days").asInt());
        assertEquals("Europe/Berlin", saved.get("maintenance_window").get("timezone").asText());
        assertTrue(saved.get("maintenance_window").get("enabled").asBoolean());

        browser.driver().navigate().refresh();
        browser.visible("local-policy");
        browser.until(d -> "3".equals(browser.value("lp-update_check_days")));
        assertEquals("Europe/Berlin", browser.value("lp-maintenance_window-timezone"));
        assertTrue(browser.checked("lp-maintenance_window-enabled"));

        browser.click("check-now");
        String shown = browser.withText(Browser.testId("check-result"), "Checking now (run ").getText();
        Matcher run = Pattern.compile("run (run-[A-Za-z0-9]+)").matcher(shown);
        assertTrue(run.find(), shown);
        fleet.await("the check started from the page ends up to date", () -> {
            JsonNode local = agent.status();
            assertEquals(run.group(1), local.path("last_result").path("run_id").asText(), local.toString());
            assertEquals("up_to_date", local.path("last_result").path("status").asText());
        });
        browser.withText(By.id("last_result"), "up to date");
        assertNotEquals("none scheduled", browser.find(By.id("next_check_at")).getText());
    }

    @Test
    @Order(3)
    void withoutLocalOverrideThePageIsReadOnlyAndSaysWhy() throws Exception {
        settings("allow_local_override=false\n");
        fleet.await("the agent applies the changed settings", () ->
                assertFalse(agent.status().path("allow_local_override").asBoolean()));
        if (browser == null) {
            browser = new Browser(URI.create("http://127.0.0.1:" + agent.port() + "/"));
        }
        browser.open("/");
        browser.withText(Browser.testId("override"), "local override is disabled");
        browser.until(d -> !browser.find(Browser.testId("local-policy")).isDisplayed()
                && !browser.find(Browser.testId("check-now")).isDisplayed());

        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port()
                        + "/api/autoupdate/local-policy")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(DEFAULT_POLICY))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, refused.statusCode(), refused.body());
        JsonNode error = JSON.readTree(refused.body()).get("error");
        assertEquals("local_override_disabled", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("allow_local_override"), error.toString());
    }
}
