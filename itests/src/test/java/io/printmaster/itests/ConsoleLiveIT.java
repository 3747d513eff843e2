package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.itests.sim.Outcome;
import io.printmaster.itests.sim.SimulatedAgent;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;

/**
 * The live console in a real browser against the real server with simulated agents: a release failing on agents
 * raises a toast naming it and the count; a rollout's page, a single agent's page and the Releases page show what
 * changed without a reload. Each test marks {@code window} before the change and checks the mark after it: a reload
 * (or a navigation) would drop it.
 */
class ConsoleLiveIT {
    private static final String FROM = "0.9.0";
    private static final String TO = "1.0.0";

    private static SimulatedFleetConsole console;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        console = SimulatedFleetConsole.start("console-live", FROM, TO, b -> browser = b);
    }

    @AfterAll
    static void stop() throws Exception {
        if (console != null) {
            console.close();
        }
    }

    private static void markPage() {
        ((JavascriptExecutor) browser.driver()).executeScript("window.pmSamePage = true;");
    }

    private static void assertSamePage(String what) {
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser.driver()).executeScript("return window.pmSamePage === true;"),
                what + " was not reloaded");
    }

    /** A telemetry transition of {@code agent}'s run from {@link #FROM} to {@link #TO}, as the agent reports it. */
    private static void report(ApiClient agent, String runId, String status, String errorCode) throws Exception {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", runId);
        t.put("status", status);
        if (errorCode != null) {
            t.put("error_code", errorCode);
        }
        t.put("current_version", FROM);
        t.put("target_version", TO);
        t.put("timestamp", Instant.now().toString());
        ApiClient.Response sent = agent.post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, sent.status(), sent.body());
    }

    private static String rolloutState(String id) throws Exception {
        return (String) ((Map<?, ?>) console.admin.get("/api/v1/rollouts/" + id).json().get("rollout")).get("state");
    }

    @Test
    void aToastNamesTheReleaseAndHowManyAgentsItFailedOn() throws Exception {
        assertEquals(201, console.admin.post("/api/v1/fleets", Map.of("id", "failing", "name", "Failing")).status());
        browser.open("/fleets");
        browser.awaitPage("Fleets");
        markPage();
        // the server tells at 1 and 5 failures of a release in a fleet (not at each failure)
        for (int i = 1; i <= 5; i++) {
            ConsoleFixture.EnrolledAgent agent = ConsoleFixture.enroll(console.admin, console.anonymous, "failing",
                    "failing-host-" + i, FROM);
            report(agent.client(), "run-failing-" + i, "failed", "STAGING_FAILED");
            if (i == 1) {
                WebElement first = browser.withText(testId("toast-release-failed"), "failed on 1 agent");
                assertEquals("agent " + TO + " failed on 1 agent in fleet failing", first.findElement(
                        By.cssSelector(".toast-title")).getText());
            }
        }
        Eventually.within(Duration.ofSeconds(20), () -> {
            List<String> texts = browser.findAll(testId("toast-release-failed")).stream().map(WebElement::getText).toList();
            assertTrue(texts.stream().anyMatch(t -> t.contains("agent " + TO + " failed on 5 agents in fleet failing")),
                    "a toast for the fifth failure: " + texts);
            assertEquals(2, texts.size(), "one toast at 1 and one at 5, none for 2 to 4: " + texts);
        });
        WebElement fifth = browser.findAll(testId("toast-release-failed")).stream()
                .filter(t -> t.getText().contains("5 agents")).findFirst().orElseThrow();
        assertTrue(fifth.getText().contains("Latest error: STAGING_FAILED"), fifth.getText());
        String alert = browser.find(testId("toast-alert-announcer")).getAttribute("textContent");
        assertTrue(alert.contains("failed on 5 agents"), "screen readers are alerted: " + alert);
        assertEquals("Fleets", browser.visible("page-title").getText(), "shown on whatever page is open");
        assertSamePage("the Fleets page");
    }

    @Test
    void aRolloutsPageFollowsPauseResumeAndOutcomesWithoutAReload() throws Exception {
        List<SimulatedAgent> agents = console.fleet("watched", 4);
        agents.forEach(a -> a.outcomeByDefault(Outcome.succeed().taking(Duration.ofMinutes(1))));
        String id = console.rollout("watched", 4, 100);
        browser.open("/rollouts/" + id);
        browser.awaitPage("Rollout agent " + TO);
        browser.withText(testId("rollout-state"), "running");
        assertEquals("0", browser.visible("count-succeeded").getText());
        markPage();

        ApiClient.Response paused = console.admin.post("/api/v1/rollouts/" + id + "/pause", Map.of());
        assertEquals(200, paused.status(), paused.body());
        browser.withText(testId("rollout-state"), "paused");
        assertTrue(browser.visible("rollout-resume").isDisplayed(), "the actions follow the state");
        ApiClient.Response resumed = console.admin.post("/api/v1/rollouts/" + id + "/resume", Map.of());
        assertEquals(200, resumed.status(), resumed.body());
        browser.withText(testId("rollout-state"), "running");

        Set<String> ids = agents.stream().map(SimulatedAgent::id).collect(Collectors.toSet());
        console.sim.run(Duration.ofHours(1), Duration.ofSeconds(30),
                now -> console.sim.runEnds().stream().filter(e -> ids.contains(e.agentId())).count() < ids.size());
        Map<?, ?> counts = (Map<?, ?>) ((Map<?, ?>) console.admin.get("/api/v1/rollouts/" + id).json().get("rollout")).get("counts");
        assertEquals(4, ((Number) counts.get("succeeded")).intValue(), counts.toString());
        browser.withText(testId("count-succeeded"), "4");
        assertEquals("0", browser.visible("count-failed").getText());
        browser.withText(testId("rollout-state"), stateLabel(rolloutState(id)));
        assertSamePage("the rollout's page");
    }

    private static String stateLabel(String state) {
        return state.replace('_', ' ');
    }

    @Test
    void aNewReleaseAppearsOnTheReleasesPageWhenASyncRuns() throws Exception {
        browser.open("/releases");
        browser.awaitPage("Releases");
        String asset = "printmaster-agent-v1.2.0-linux-amd64.tar.gz";
        By newRow = By.cssSelector("[data-testid='artifact-row'][data-asset='" + asset + "']");
        browser.until(d -> !d.findElements(testId("artifact-row")).isEmpty());
        assertTrue(browser.findAll(newRow).isEmpty());
        markPage();
        ReleaseFolder.write(console.releases, 15, FROM, TO, "1.2.0");
        assertEquals(202, console.admin.post("/api/v1/releases/sync", Map.of()).status());
        Eventually.within(Duration.ofSeconds(60), () -> {
            if (browser.findAll(newRow).isEmpty()) {
                // a sync that listed the folder before the new file was there misses it: ask again (joins a running one)
                assertEquals(202, console.admin.post("/api/v1/releases/sync", Map.of()).status());
            }
            assertFalse(browser.findAll(newRow).isEmpty(),
                    "a row for " + asset);
        });
        WebElement row = browser.find(newRow);
        assertTrue(row.getText().contains("1.2.0"), row.getText());
        assertSamePage("the Releases page");
    }

    @Test
    void aHiddenPageAsksNothingOnEventsAndCatchesUpOnceWhenShownAgain() throws Exception {
        // no sync running when the page opens, so the page follows none (following one polls its progress)
        Eventually.within(Duration.ofSeconds(60), () -> assertEquals(null,
                console.admin.get("/api/v1/releases/sync/status").json().get("running")));
        browser.open("/releases");
        browser.awaitPage("Releases");
        browser.until(d -> !d.findElements(testId("artifact-row")).isEmpty());
        String asset = "printmaster-agent-v1.3.0-linux-amd64.tar.gz";
        By newRow = By.cssSelector("[data-testid='artifact-row'][data-asset='" + asset + "']");
        markPage();
        JavascriptExecutor js = (JavascriptExecutor) browser.driver();
        // count the page's requests to the releases API from now on; then the tab goes to the background
        js.executeScript("window.pmReleaseRequests = 0; const f = window.fetch; window.fetch = (u, o) => {"
                + " if (String(u).includes('/api/v1/releases')) window.pmReleaseRequests += 1; return f(u, o); };"
                + "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
                + "document.dispatchEvent(new Event('visibilitychange'));");
        ReleaseFolder.write(console.releases, 15, FROM, TO, "1.3.0");
        Eventually.within(Duration.ofSeconds(60), () -> {
            // the toast needs no request and is shown while hidden: it proves the events reached the page
            boolean toasted = browser.findAll(testId("toast-release-cached")).stream()
                    .anyMatch(t -> t.getText().contains("1.3.0"));
            if (!toasted) {
                assertEquals(202, console.admin.post("/api/v1/releases/sync", Map.of()).status());
            }
            assertTrue(toasted, "a toast for the cached 1.3.0");
        });
        // absence needs an observation window: longer than the page's debounce of events (1.5 s), in the browser
        Object asked = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " setTimeout(() => done(window.pmReleaseRequests), 2500);");
        assertEquals(0L, asked, "a hidden page sends no request");
        assertTrue(browser.findAll(newRow).isEmpty(), "not refreshed while hidden");
        js.executeScript("delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange'));");
        browser.until(d -> !d.findElements(newRow).isEmpty());
        // one refresh for all the events it missed (a sync still ending may add its own once shown)
        assertTrue((Long) js.executeScript("return window.pmReleaseRequests;") >= 1L, "refreshed once shown");
        assertSamePage("the Releases page");
    }

    @Test
    void anAgentsPageShowsItsNewStatusAndOutcomeWithoutAReload() throws Exception {
        assertEquals(201, console.admin.post("/api/v1/fleets", Map.of("id", "single", "name", "Single")).status());
        ConsoleFixture.EnrolledAgent agent = ConsoleFixture.enroll(console.admin, console.anonymous, "single", "single-host", FROM);
        browser.open("/agents/" + agent.id());
        browser.awaitPage("Agent " + agent.id());
        assertEquals("single-host", browser.visible("agent-hostname").getText());
        assertEquals("—", browser.visible("agent-result").getText());
        markPage();

        report(agent.client(), "run-single-1", "downloading", null);
        browser.withText(testId("agent-status"), "downloading");
        browser.withText(testId("agent-target"), TO);

        report(agent.client(), "run-single-1", "failed", "DOWNLOAD_FAILED");
        browser.withText(testId("agent-status"), "failed");
        browser.withText(testId("agent-result"), "failed");
        browser.withText(testId("agent-error"), "DOWNLOAD_FAILED");
        assertSamePage("the agent's page");
    }
}
