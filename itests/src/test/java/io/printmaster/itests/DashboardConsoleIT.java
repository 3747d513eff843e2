package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.Outcome;
import io.printmaster.itests.sim.SimulatedAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * The dashboard, the live console and the toasts in a real browser against the real server process, with a fleet
 * of simulated agents ({@link FleetSimulator}: real enrollment, check-ins and telemetry over HTTP) taking a rollout
 * with mixed outcomes: the dashboard's table views (what a screen reader reads, and what "Show table" shows) carry
 * the numbers the simulator produced; a rollout whose agents fail pauses and a toast says so on whatever page is
 * open; an agent's new status appears on the Agents page without a reload.
 */
class DashboardConsoleIT {
    private static final String FROM = "0.9.0";
    private static final String TO = "1.0.0";
    private static final int FLEET_SIZE = 300;

    private static SimulatedFleetConsole console;
    private static Browser browser;
    private static ApiClient admin;
    private static ApiClient anonymous;
    private static FleetSimulator sim;
    private static Path releases;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        console = SimulatedFleetConsole.start("dashboard-console", FROM, TO, b -> browser = b);
        admin = console.admin;
        anonymous = console.anonymous;
        sim = console.sim;
        releases = console.releases;
    }

    @AfterAll
    static void stop() throws Exception {
        if (console != null) {
            console.close();
        }
    }

    private static List<SimulatedAgent> fleet(String id, int count) throws Exception {
        return console.fleet(id, count);
    }

    private static String rollout(String fleet, int failurePercent) throws Exception {
        return console.rollout(fleet, FLEET_SIZE, failurePercent);
    }

    /**
     * The rows of a chart's table view (first cell → the others), once its toggle shows it, as a sighted user opens
     * it. Read in one script: the page may rebuild a card whose numbers changed while it is read.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, List<String>> tableOf(String chart) throws Exception {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        Eventually.within(Duration.ofSeconds(20), () -> {
            WebElement toggle = browser.visible(chart + "-toggle");
            if ("false".equals(toggle.getAttribute("aria-pressed"))) {
                toggle.click();
            }
            assertTrue(browser.visible(chart + "-table").isDisplayed());
            List<List<String>> read = (List<List<String>>) ((JavascriptExecutor) browser.driver()).executeScript("""
                    const t = document.querySelector('[data-testid="' + arguments[0] + '-table"]');
                    return [...t.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent.trim()));""",
                    chart);
            rows.clear();
            read.forEach(cells -> rows.put(cells.get(0), cells.subList(1, cells.size())));
        });
        return rows;
    }

    @Test
    void theDashboardTablesShowTheSimulatedFleetsNumbers() throws Exception {
        List<SimulatedAgent> agents = fleet("dash", FLEET_SIZE);
        for (int i = 0; i < agents.size(); i++) {
            Outcome o = i % 10 == 3 ? Outcome.fail("DOWNLOAD_FAILED")
                    : i % 10 == 7 ? Outcome.rollBack()
                    : i % 20 == 11 ? Outcome.fail("DISK_SPACE")
                    : Outcome.succeed();
            agents.get(i).outcomeByDefault(o.taking(Duration.ofMinutes(2)));
        }
        rollout("dash", 100);
        Set<String> ids = agents.stream().map(SimulatedAgent::id).collect(Collectors.toSet());
        sim.run(Duration.ofHours(2), Duration.ofSeconds(30),
                now -> sim.runEnds().stream().filter(e -> ids.contains(e.agentId())).count() < FLEET_SIZE);
        List<FleetSimulator.RunEnd> ends = sim.runEnds().stream().filter(e -> ids.contains(e.agentId())).toList();
        assertEquals(FLEET_SIZE, ends.size(), "every agent finished its run");
        Map<String, Long> byStatus = ends.stream().collect(Collectors.groupingBy(FleetSimulator.RunEnd::status, Collectors.counting()));
        long succeeded = byStatus.getOrDefault("succeeded", 0L);
        long failed = byStatus.getOrDefault("failed", 0L);
        long rolledBack = byStatus.getOrDefault("rolled_back", 0L);
        assertEquals(FLEET_SIZE, succeeded + failed + rolledBack, byStatus.toString());
        assertTrue(succeeded > 0 && failed > 0 && rolledBack > 0, "mixed outcomes: " + byStatus);
        Map<String, Long> errors = ends.stream().filter(e -> e.errorCode() != null && !"succeeded".equals(e.status()))
                .collect(Collectors.groupingBy(FleetSimulator.RunEnd::errorCode, Collectors.counting()));

        browser.open("/dashboard?fleet=dash");
        browser.awaitPage("Dashboard: dash");
        Eventually.within(Duration.ofSeconds(20), () -> {
            Map<String, List<String>> releases = tableOf("chart-releases");
            List<String> release = releases.get("agent " + TO);
            assertTrue(release != null, "a row for agent " + TO + ": " + releases);
            String rate = String.format(Locale.ROOT, "%.1f %%", 100.0 * succeeded / FLEET_SIZE);
            assertEquals(List.of(rate, Long.toString(succeeded), Long.toString(failed), Long.toString(rolledBack)),
                    release.subList(0, 4), "success rate, succeeded, failed, rolled back");
            for (Map.Entry<String, Long> e : errors.entrySet()) {
                assertTrue(release.get(4).contains(e.getKey() + " (" + e.getValue() + ")"), release.get(4) + " lists " + e);
            }
        });
        Map<String, List<String>> errorTable = tableOf("chart-errors");
        assertFalse(errorTable.isEmpty());
        Map<String, List<String>> overTime = tableOf("chart-over-time");
        long daySum = overTime.values().stream().mapToLong(r -> Long.parseLong(r.get(0))).sum();
        assertEquals(succeeded, daySum, "the days add up to the successes: " + overTime);

        // agents by status and the health tiles: the simulator's failures, the server's flags
        Map<String, List<String>> statuses = tableOf("chart-status");
        assertEquals(Long.toString(succeeded), statuses.get("succeeded").get(0), statuses.toString());
        assertEquals(Long.toString(failed), statuses.get("failed").get(0), statuses.toString());
        assertEquals(Long.toString(rolledBack), statuses.get("rolled_back").get(0), statuses.toString());
        assertEquals(Integer.toString(FLEET_SIZE), browser.visible("tile-total-value").getText());
        assertEquals(Long.toString(failed + rolledBack), browser.visible("tile-failed-value").getText());
        assertEquals(Long.toString(errors.getOrDefault("DISK_SPACE", 0L)), browser.visible("tile-low-disk-value").getText());
        // by version and per fleet: what the API reports, every row
        Map<String, Object> api = admin.get("/api/v1/dashboard?fleet=dash").json();
        Map<String, List<String>> versions = tableOf("chart-versions");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> byVersion = (List<Map<String, Object>>) ((Map<String, Object>) api.get("agents")).get("by_version");
        assertEquals(byVersion.size(), versions.size(), versions.toString());
        for (Map<String, Object> v : byVersion) {
            assertEquals(String.valueOf(v.get("count")), versions.get(String.valueOf(v.get("version"))).get(0), versions.toString());
        }
        Map<String, List<String>> fleets = tableOf("chart-fleets");
        assertEquals(Integer.toString(FLEET_SIZE), fleets.get("dash").get(3), fleets.toString());
        browser.screenshot("dashboard");
    }

    @Test
    void aToastSaysWhenARolloutPausesOnFailures() throws Exception {
        List<SimulatedAgent> agents = fleet("shaky", 40);
        for (int i = 0; i < agents.size(); i++) {
            agents.get(i).outcomeByDefault((i % 2 == 0 ? Outcome.fail("STAGING_FAILED") : Outcome.succeed()).taking(Duration.ofMinutes(1)));
        }
        browser.open("/rollouts");
        browser.awaitPage("Rollouts");
        String id = rollout("shaky", 20);
        sim.run(Duration.ofHours(1), Duration.ofSeconds(30), now -> !"paused".equals(
                ((Map<?, ?>) admin.get("/api/v1/rollouts/" + id).json().get("rollout")).get("state")));
        assertEquals("paused", ((Map<?, ?>) admin.get("/api/v1/rollouts/" + id).json().get("rollout")).get("state"));

        WebElement toast = browser.withText(testId("toast-rollout-paused"), TO);
        assertTrue(toast.getText().contains("Rollout paused"), toast.getText());
        assertTrue(announced().contains("Rollout paused"), "screen readers hear it: " + announced());
        assertEquals("/rollouts/" + id, java.net.URI.create(toast.findElement(By.cssSelector("a")).getAttribute("href")).getPath());
        // the rollouts list shows the new state without a reload
        browser.withText(testId("rollout-state-" + id), "aused");
        toast.findElement(testId("toast-dismiss")).click();
        browser.until(d -> d.findElements(testId("toast-rollout-paused")).isEmpty());
    }

    @Test
    void anAgentsNewStatusAppearsWithoutAReload() throws Exception {
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "live", "name", "Live")).status());
        ConsoleFixture.EnrolledAgent enrolled = ConsoleFixture.enroll(admin, anonymous, "live", "live-watched-host", FROM);
        String agentId = enrolled.id();
        ApiClient agent = enrolled.client();

        browser.open("/agents?q=live-watched");
        browser.awaitPage("Agents");
        browser.visible("agent-row-" + agentId);
        JavascriptExecutor js = (JavascriptExecutor) browser.driver();
        js.executeScript("window.pmSamePage = true;");

        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", "run-live-1");
        t.put("status", "downloading");
        t.put("current_version", FROM);
        t.put("target_version", TO);
        t.put("timestamp", Instant.now().toString());
        ApiClient.Response sent = agent.post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, sent.status(), sent.body());

        browser.withText(testId("agent-status-" + agentId), "downloading");
        assertEquals(Boolean.TRUE, js.executeScript("return window.pmSamePage === true;"), "the page was not reloaded");
        assertEquals(TO, browser.visible("agent-target-" + agentId).getText());

        // the fleet's dashboard counts the failure as it is reported
        browser.open("/dashboard?fleet=live");
        browser.awaitPage("Dashboard: live");
        browser.withText(testId("tile-total-value"), "1");
        assertEquals("0", browser.visible("tile-failed-value").getText());
        js.executeScript("window.pmSamePage = true;");
        t.put("status", "failed");
        t.put("error_code", "DOWNLOAD_FAILED");
        t.put("timestamp", Instant.now().toString());
        sent = agent.post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, sent.status(), sent.body());
        browser.withText(testId("tile-failed-value"), "1");
        assertEquals(Boolean.TRUE, js.executeScript("return window.pmSamePage === true;"), "the dashboard was not reloaded");
    }

    @Test
    void theWebhooksPageCreatesAWebhookShowsItsSecretOnceListsDeliveriesAndDeletesIt() throws Exception {
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "hooks", "name", "Hooks")).status());
        java.util.concurrent.BlockingQueue<String[]> received = new java.util.concurrent.LinkedBlockingQueue<>();
        com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new String[] {exchange.getRequestHeaders().getFirst("X-PrintMaster-Signature"),
                new String(body, java.nio.charset.StandardCharsets.UTF_8)});
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try {
            String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
            browser.open("/settings/webhooks");
            browser.awaitPage("Webhooks");
            browser.click("new-webhook");
            browser.typeById("webhook-url", url);
            for (String other : List.of("rollout-paused", "release-failed", "release-cached")) {
                browser.check("webhook-event-" + other, false);
            }
            assertTrue(browser.checked("webhook-event-agent-outcome"), "agent.outcome is on by default");
            browser.select("webhook-fleet", "hooks");
            browser.click("create-webhook");
            String secret = browser.visible("webhook-secret-value").getDomProperty("value");
            assertTrue(secret != null && secret.length() >= 16, "a generated secret, shown once: " + secret);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> hooks = (List<Map<String, Object>>) admin.get("/api/v1/webhooks").json().get("webhooks");
            String id = (String) hooks.stream().filter(w -> url.equals(w.get("url"))).findFirst().orElseThrow().get("id");
            assertEquals(url, browser.visible("webhook-url-" + id).getText());

            // an agent of the fleet fails a run: agent.outcome goes out, signed with the secret
            ConsoleFixture.EnrolledAgent agent = ConsoleFixture.enroll(admin, anonymous, "hooks", "hooks-host", FROM);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("run_id", "run-hook-1");
            t.put("status", "failed");
            t.put("error_code", "DOWNLOAD_FAILED");
            t.put("current_version", FROM);
            t.put("target_version", TO);
            t.put("timestamp", Instant.now().toString());
            assertEquals(200, agent.client().post("/api/v1/agents/update/telemetry", t).status());
            String[] delivery = received.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(delivery != null, "the receiver got the event");
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(delivery[1].getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(expected, delivery[0], "signed with the secret the page showed");
            assertTrue(delivery[1].contains(agent.id()), delivery[1]);

            Eventually.within(Duration.ofSeconds(20), () -> assertTrue(admin.get("/api/v1/webhooks/" + id + "/deliveries").body()
                    .contains("\"state\":\"delivered\"")));
            browser.click("webhook-deliveries-" + id);
            WebElement log = browser.visible("deliveries-" + id);
            assertTrue(log.getText().contains("agent.outcome") && log.getText().contains("delivered"), log.getText());

            // the secret is gone once the page is left: the list never shows it
            browser.open("/settings/webhooks");
            browser.awaitPage("Webhooks");
            browser.visible("webhook-row-" + id);
            assertFalse(browser.find(By.id("main")).getText().contains(secret), "the secret is shown only once");
            browser.click("delete-webhook-" + id);
            browser.click("confirm-ok");
            browser.until(d -> d.findElements(testId("webhook-row-" + id)).isEmpty());
            assertFalse(admin.get("/api/v1/webhooks").body().contains(id));
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void pageLoadsNeverExhaustTheBrowsersConnectionsToTheServer() {
        // each page load opens the live stream; a page kept in the back/forward cache with its stream open would hold
        // one of the six connections a browser allows per server, until every request of the page shown waits
        for (int i = 0; i < 10; i++) {
            browser.open(i % 2 == 0 ? "/agents" : "/rollouts");
            browser.awaitPage(i % 2 == 0 ? "Agents" : "Rollouts");
            browser.withText(testId("live-status"), "Live");
        }
        browser.open("/tokens");
        browser.awaitPage("API tokens");
        browser.visible("tokens-table");
    }

    @Test
    void aToastAnnouncesANewlyCachedRelease() throws Exception {
        browser.open("/agents");
        browser.awaitPage("Agents");
        // the same seed writes the same bytes for the versions already there, and a new one
        ReleaseFolder.write(releases, 15, FROM, TO, "1.1.0");
        Eventually.within(Duration.ofSeconds(60), () -> {
            if (browser.findAll(testId("toast-release-cached")).isEmpty()) {
                // a sync that listed the folder before the new file was there misses it: ask again (joins a running one)
                assertEquals(202, admin.post("/api/v1/releases/sync", Map.of()).status());
            }
            assertFalse(browser.findAll(testId("toast-release-cached")).isEmpty(), "a toast for the new release");
        });
        WebElement toast = browser.withText(testId("toast-release-cached"), "agent 1.1.0");
        assertTrue(toast.getText().startsWith("New release cached"), toast.getText());
        assertTrue(announced().contains("New release cached: agent 1.1.0"), "screen readers hear it: " + announced());
        assertEquals("Agents", browser.visible("page-title").getText(), "shown on whatever page is open");
    }

    /** What the toasts' polite live region (present from the start, so screen readers announce changes) says now. */
    private static String announced() {
        WebElement announcer = browser.find(testId("toast-announcer"));
        assertEquals("polite", announcer.getAttribute("aria-live"));
        return announcer.getAttribute("textContent");
    }
}
