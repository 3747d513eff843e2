package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;

/**
 * The console's Rollouts pages in a real browser against the real server process: an administrator creates a
 * rollout of a cached agent release from the form (a field error first, then the plan prefilled from the fleet's
 * policy), reads the release notes (hostile Markdown from the upstream stays harmless text) and approves; the
 * page's counts follow an agent's check-in and its report without a reload; pause and resume ask first; a 409
 * (the state changed elsewhere) shows as an error; abort ends it; the fleet page and the list show it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutsConsoleIT {
    private static final String VERSION = "2.0.0";
    private static final String FROM_VERSION = "1.0.0";
    /** Markdown from the release source, with markup that must never run or become elements. */
    private static final String NOTES = String.join("\n",
            "## Fixes",
            "",
            "- printing to **tray 2** works again",
            "- <script>window.pmPwned = 1</script>",
            "- <img src=x onerror=\"window.pmPwned = 2\">",
            "",
            "[Read the docs](https://example.com/docs) and [not this](javascript:window.pmPwned=3)");
    private static final int AGENTS = 3;

    private static GitHubReleasesServer github;
    private static ServerProcess server;
    private static Browser browser;
    private static ApiClient admin;
    private static final List<String> agentIds = new ArrayList<>();
    private static final List<ApiClient> agents = new ArrayList<>();
    private static String rolloutId;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        // real agent archives: 1.0.0 as built, 2.0.0 with one bundle changed, so the approval view can say what changes
        github = new GitHubReleasesServer();
        java.nio.file.Path releases = Files.createTempDirectory("pm-rollouts-console-releases");
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        java.nio.file.Path from = builder.write(releases, FROM_VERSION, AgentReleaseBuilder.Changes.NONE);
        java.nio.file.Path to = builder.write(releases, VERSION, AgentReleaseBuilder.Changes.bundles(AgentHotSwapIT.LOCALUI));
        github.publish("v" + FROM_VERSION, "The first release.", "2026-11-01T08:00:00Z",
                Map.of(from.getFileName().toString(), Files.readAllBytes(from)), null);
        github.publish("v" + VERSION, NOTES, "2026-12-01T08:00:00Z",
                Map.of(to.getFileName().toString(), Files.readAllBytes(to)), null);
        server = ServerProcess.start("rollouts-console", Files.createTempDirectory("pm-server-rollouts-console"),
                ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/rollouts", "/api/v1/release-sources", "/api/v1/releases/artifacts", "/api/v1/fleets");
        ApiClient anonymous = ApiClient.anonymous(Integer.toString(server.baseUri().getPort()));
        admin = anonymous.login(server.adminPassword());

        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "lab", "name", "Lab printers")).status());
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "office", "name", "Office printers")).status());
        // the lab's policy: waves of 2, one at a time; a minor pin, so 1.0.0 agents are never offered 2.0.0 by the
        // policy itself (no automatic rollout): only the administrator's rollout brings it
        ApiClient.Response policy = admin.send("PUT", "/api/v1/update-policies/lab", Map.of("policy", policy()), true);
        assertEquals(200, policy.status(), policy.body());
        ApiClient.Response source = admin.post("/api/v1/release-sources", Map.of("type", "github", "name", "gh-rollouts",
                "config", Map.of("repository", GitHubReleasesServer.REPOSITORY, "api_url", github.apiUrl().toString())));
        assertEquals(201, source.status(), source.body());
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(90), () -> {
            for (String v : List.of(FROM_VERSION, VERSION)) {
                ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=" + v);
                assertEquals(200, r.status(), r.body());
                assertFalse(((List<?>) r.json().get("manifests")).isEmpty(), "a signed manifest of " + v + ": " + r.body());
            }
        });

        ApiClient.Response token = admin.post("/api/v1/fleets/lab/join-tokens", Map.of());
        assertEquals(201, token.status(), token.body());
        for (int n = 0; n < AGENTS; n++) {
            Map<String, Object> enroll = new LinkedHashMap<>();
            enroll.put("join_token", token.json().get("token"));
            enroll.put("hostname", "lab-" + n);
            enroll.put("platform", "linux");
            enroll.put("arch", AgentReleaseBuilder.arch());
            enroll.put("current_version", FROM_VERSION);
            ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", enroll);
            assertEquals(201, enrolled.status(), enrolled.body());
            agentIds.add((String) enrolled.json().get("agent_id"));
            agents.add(anonymous.withToken((String) enrolled.json().get("credential")));
        }
        browser = new Browser(server.baseUri());
    }

    private static Map<String, Object> policy() {
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("enabled", false);
        window.put("start_hour", 0);
        window.put("start_min", 0);
        window.put("end_hour", 23);
        window.put("end_min", 0);
        window.put("timezone", "UTC");
        window.put("days_of_week", List.of(0, 1, 2, 3, 4, 5, 6));
        Map<String, Object> control = new LinkedHashMap<>();
        control.put("staggered", true);
        control.put("max_concurrent", 1);
        control.put("batch_size", 2);
        control.put("delay_between_waves", 0);
        control.put("jitter_seconds", 5);
        control.put("emergency_abort", false);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("update_check_days", 1);
        p.put("version_pin_strategy", "minor");
        p.put("allow_major_upgrade", false);
        p.put("target_version", null);
        p.put("collect_telemetry", true);
        p.put("require_approval", false);
        p.put("maintenance_window", window);
        p.put("rollout_control", control);
        return p;
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (server != null) {
                    server.close();
                }
            } finally {
                if (github != null) {
                    github.close();
                }
            }
        }
    }

    @Test
    @Order(1)
    void anAdminCreatesARolloutFromTheFormAfterAFieldErrorWithThePlanFromTheFleetPolicy() throws Exception {
        browser.open("/fleets");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Fleets");
        browser.click("nav-rollouts");
        browser.awaitPage("Rollouts");
        browser.withText(testId("rollouts-table"), "No rollouts yet");

        browser.click("new-rollout");
        browser.awaitPage("New rollout");
        browser.select("rollout-version", VERSION);
        browser.check("rollout-fleet-lab", true);
        // the plan comes from the lab's policy: staggered in waves of 2, one at a time, 5 s jitter
        browser.withText(testId("plan-prefill"), "Filled in from fleet lab");
        assertEquals("batch_size", browser.value("rollout-waves-mode"));
        assertEquals("2, 2", browser.value("rollout-waves"), "waves of 2 for the lab's 3 agents");
        assertEquals("1", browser.value("rollout-max-concurrent"));
        assertEquals("5", browser.value("rollout-jitter"));
        assertFalse(browser.checked("rollout-require-approval"), "the lab's policy does not require approval");

        // one wave of everyone, at most one agent at a time; a failure threshold the server refuses
        browser.select("rollout-waves-mode", "percent");
        browser.typeById("rollout-waves", "100");
        browser.typeById("rollout-failure-threshold", "150");
        browser.check("rollout-require-approval", true);
        browser.click("create-rollout");
        WebElement error = browser.visible(By.cssSelector("[data-field=\"plan.failure_threshold_percent\"] .field-error"));
        assertFalse(error.getText().isBlank(), "the server's message for the field shows under it");
        assertEquals("true", browser.find(By.id("rollout-failure-threshold")).getAttribute("aria-invalid"));
        assertEquals("2.0.0", browser.value("rollout-version"), "the form keeps what was typed");

        browser.typeById("rollout-failure-threshold", "50");
        browser.click("create-rollout");
        browser.awaitPage("Rollout agent " + VERSION);
        browser.withText(testId("flash"), "waits for approval");
        awaitState("awaiting_approval");
        rolloutId = browser.driver().getCurrentUrl().replaceAll(".*/rollouts/", "");
        Map<String, Object> stored = rollout();
        assertEquals(List.of("lab"), stored.get("fleets"));
        assertEquals("admin", stored.get("origin"));
        assertEquals(50, ((Map<?, ?>) stored.get("plan")).get("failure_threshold_percent"));
        browser.screenshot("rollout-awaiting-approval");
    }

    @Test
    @Order(2)
    void theApprovalViewShowsTheNotesHarmlesslyAndTheAffectedAgentsThenApproves() throws Exception {
        browser.open("/rollouts/" + rolloutId);
        browser.awaitPage("Rollout agent " + VERSION);
        WebElement notes = browser.visible("release-notes");
        // the upstream's markup is text: the words are there, no element was made of them, nothing ran
        assertTrue(notes.getText().contains("<script>window.pmPwned = 1</script>"), notes.getText());
        assertTrue(notes.getText().contains("onerror"), notes.getText());
        assertTrue(notes.findElements(By.cssSelector("script, img, iframe, [onerror]")).isEmpty());
        // Markdown rendered by the server: emphasis and a safe link survive, the javascript: link does not
        assertNotNull(rollout().get("release_notes_html"), "the server sends its sanitized rendering");
        assertEquals("div", notes.getTagName());
        assertEquals("tray 2", notes.findElement(By.tagName("strong")).getText());
        WebElement docs = notes.findElement(By.linkText("Read the docs"));
        assertEquals("https://example.com/docs", docs.getAttribute("href"));
        assertTrue(docs.getAttribute("rel").contains("noopener"), docs.getAttribute("rel"));
        for (WebElement a : notes.findElements(By.tagName("a"))) {
            String href = a.getAttribute("href");
            assertTrue(href == null || !href.startsWith("javascript"), href);
        }
        // what changes for the 1.0.0 agents: one bundle, swapped without a restart
        WebElement changes = browser.visible("rollout-changes");
        WebElement changed = changes.findElement(By.cssSelector("tr[data-change=changed]"));
        assertTrue(changed.getText().contains(AgentHotSwapIT.LOCALUI), changed.getText());
        assertEquals(1, changes.findElements(By.cssSelector("tbody tr")).size(), changes.getText());
        assertTrue(changes.getText().contains("from " + FROM_VERSION) && changes.getText().contains("hot swap"), changes.getText());
        assertEquals("3", browser.visible("affected-lab").findElement(By.cssSelector("td.num")).getText());
        assertEquals("3", browser.visible("count-targeted").getText());
        assertNoScriptRan();

        browser.click("approve-rollout");
        WebElement dialog = browser.visible("confirm-dialog");
        assertTrue(dialog.getText().contains("3 targeted agents of fleet lab"), dialog.getText());
        browser.click("confirm-ok");
        awaitState("running");
        Map<String, Object> approved = rollout();
        assertEquals("admin", approved.get("approved_by"));
        assertNotNull(approved.get("approved_at"));
        assertTrue(browser.visible("rollout-summary").getText().contains("by admin"));
        assertTrue(browser.findAll(testId("approve-rollout")).isEmpty(), "approved: no approve button any more");
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void countsFollowAnAgentsCheckInAndReportWithoutAReload() throws Exception {
        browser.awaitPage("Rollout agent " + VERSION);
        js("window.pmSamePage = 'yes';");
        assertEquals("0", browser.visible("count-in_progress").getText());

        Map<String, Object> first = checkIn(0, "run-a");
        assertEquals(Boolean.TRUE, first.get("update_available"), first.toString());
        assertEquals(rolloutId, ((Map<String, Object>) first.get("update")).get("rollout_id"));
        browser.withText(testId("count-in_progress"), "1");
        browser.withText(testId("rollout-progress-text"), "0 of 3 succeeded (1 in progress)");

        // max_concurrent 1: the second agent is held back and told when to come back
        Map<String, Object> second = checkIn(1, "run-b");
        assertEquals(Boolean.FALSE, second.get("update_available"), second.toString());
        assertTrue(((Number) second.get("retry_after_seconds")).intValue() > 0, second.toString());

        report(0, "run-a", "succeeded", VERSION);
        browser.withText(testId("count-succeeded"), "1");
        browser.withText(testId("count-in_progress"), "0");
        browser.withText(testId("rollout-progress-text"), "1 of 3 succeeded");
        WebElement wave = browser.find(By.cssSelector("[data-testid=rollout-waves-table] tbody tr"));
        String waveIndex = wave.getAttribute("data-testid").replace("wave-", "");
        assertEquals("1", browser.find(testId("wave-" + waveIndex + "-succeeded")).getText());
        assertEquals("yes", js("return window.pmSamePage;"), "the page was never reloaded");
        assertNoScriptRan();
        browser.screenshot("rollout-running");
    }

    @Test
    @Order(4)
    void theListAndTheFleetPageShowTheActiveRollout() {
        // count what is asked for the rollout while its page is not the one shown (the console navigates without a
        // reload, so a poller or event listener that outlived its page would keep asking); a refresh the page itself
        // makes just before the click (a poll, or a live event about the rollout) is not one
        js("window.pmRolloutGets = 0; const f = window.fetch; window.fetch = (u, o) => {"
                + " if (String(u).includes('/api/v1/rollouts/" + rolloutId + "')"
                + " && !location.pathname.startsWith('/rollouts/" + rolloutId + "')) window.pmRolloutGets += 1;"
                + " return f(u, o); };");
        browser.click("nav-rollouts");
        browser.awaitPage("Rollouts");
        WebElement row = browser.visible("rollout-row-" + rolloutId);
        assertEquals("running", row.getAttribute("data-state"));
        assertTrue(row.getText().contains("1 of 3 succeeded") && row.getText().contains("lab"), row.getText());

        browser.select("rollout-filter-state", "completed");
        browser.withText(testId("rollouts-table"), "No rollout matches these filters");
        assertTrue(browser.driver().getCurrentUrl().contains("state=completed"));
        browser.select("rollout-filter-state", "running");
        browser.visible("rollout-row-" + rolloutId);
        browser.select("rollout-filter-fleet", "office");
        browser.withText(testId("rollouts-table"), "No rollout matches these filters");
        assertEquals(0L, js("return window.pmRolloutGets;"), "the rollout page stopped polling when the user left it");

        browser.open("/fleets/office");
        browser.awaitPage("Office printers");
        browser.visible("no-active-rollout");
        browser.open("/fleets/lab");
        browser.awaitPage("Lab printers");
        assertEquals("running", browser.visible("fleet-rollout-state").getAttribute("data-state"));
        assertTrue(browser.visible("fleet-rollout-progress").getText().contains("1 of 3 succeeded"));
        browser.click("fleet-rollout-link");
        browser.awaitPage("Rollout agent " + VERSION);
    }

    @Test
    @Order(5)
    void pauseAndResumeAskFirst() throws Exception {
        // requests in flight, for the next test: installed before any it must see
        // (a request counts until its body was read: the page updates right after, in the same task)
        js("window.pmInFlight = 0; const f = window.fetch; window.fetch = (u, o) => { window.pmInFlight += 1;"
                + " const done = () => { window.pmInFlight -= 1; };"
                + " return f(u, o).then((r) => { if (r.status === 204) { done(); return r; }"
                + "   const text = r.text.bind(r); r.text = () => text().finally(done); return r; },"
                + " (e) => { done(); throw e; }); };");
        browser.click("rollout-pause");
        WebElement dialog = browser.visible("confirm-dialog");
        assertTrue(dialog.getText().contains("No further agent is offered"), dialog.getText());
        browser.click("confirm-cancel");
        assertEquals("running", shownState(), "cancelled: nothing changed");
        assertEquals("running", rollout().get("state"));

        browser.click("rollout-pause");
        browser.click("confirm-ok");
        awaitState("paused");
        assertEquals("paused", rollout().get("state"));
        assertTrue(browser.findAll(testId("rollout-pause")).isEmpty());
        Map<String, Object> held = checkIn(1, "run-b");
        assertEquals(Boolean.FALSE, held.get("update_available"), "paused: nothing is offered " + held);

        browser.click("rollout-resume");
        browser.visible("confirm-dialog");
        browser.click("confirm-ok");
        awaitState("running");
        assertEquals("running", rollout().get("state"));
    }

    @Test
    @Order(6)
    void aStateChangedElsewhereShowsTheServersRefusalAndAbortEndsTheRollout() throws Exception {
        // the tab is hidden: the page stops asking; meanwhile someone else pauses the rollout
        js("Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
                + "document.dispatchEvent(new Event('visibilitychange'));");
        // a refresh that started before the tab was hidden may still land; after it, nothing more is asked
        browser.until(d -> Long.valueOf(0).equals(js("return window.pmInFlight;")));
        ApiClient.Response paused = admin.post("/api/v1/rollouts/" + rolloutId + "/pause", Map.of());
        assertEquals(200, paused.status(), paused.body());
        assertEquals("running", shownState());
        browser.click("rollout-pause");
        browser.click("confirm-ok");
        WebElement refused = browser.visible("action-error");
        assertTrue(refused.getText().contains("paused"), refused.getText());
        // the page then shows the server's state and the actions it allows
        awaitState("paused");
        browser.visible("rollout-resume");
        js("delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange'));");

        browser.click("rollout-abort");
        WebElement dialog = browser.visible("confirm-dialog");
        assertTrue(dialog.getText().contains("stop at once"), dialog.getText());
        browser.click("confirm-ok");
        awaitState("aborted");
        assertEquals("aborted", rollout().get("state"));
        assertTrue(browser.findAll(testId("rollout-pause")).isEmpty() && browser.findAll(testId("rollout-resume")).isEmpty()
                && browser.findAll(testId("rollout-abort")).isEmpty(), "an aborted rollout can only be rolled back");
        browser.visible("rollout-rollback");
        browser.withText(testId("rollout-freshness"), "has ended");
        Map<String, Object> none = checkIn(2, "run-c");
        assertEquals(Boolean.FALSE, none.get("update_available"), "aborted: nothing is offered " + none);
        browser.open("/fleets/lab");
        browser.awaitPage("Lab printers");
        browser.visible("no-active-rollout");
        assertNoScriptRan();
    }

    @Test
    @Order(7)
    void theSanitizerKeepsOnlyTextFormattingEvenFromHostileHtml() {
        // defence in depth below the server's sanitizer: whatever HTML arrives, only the allowlist comes through
        Object html = ((JavascriptExecutor) browser.driver()).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "import('/js/safe-html.js').then((m) => {"
                        + "  const div = document.createElement('div');"
                        + "  div.append(m.safeFragment('<h1 onclick=\"window.pmPwned=7\">T</h1><p>a<img src=x onerror=\"window.pmPwned=8\">"
                        + "<script>window.pmPwned=9</script><a href=\"javascript:window.pmPwned=10\">j</a>"
                        + "<a href=\"https://example.com/\" style=\"color:red\">k</a><iframe src=\"/\"></iframe><u>u</u></p>'));"
                        + "  done(div.innerHTML);"
                        + "}, (e) => done('failed: ' + e));");
        assertEquals("<h3>T</h3><p>a<a>j</a><a href=\"https://example.com/\" rel=\"noopener noreferrer nofollow\" "
                + "target=\"_blank\">k</a>u</p>", html);
        assertNoScriptRan();
    }

    /** The state the rollout page shows (its summary is rebuilt at each refresh: read it again if it was replaced). */
    private static String shownState() {
        for (int attempt = 0; ; attempt++) {
            try {
                return browser.visible("rollout-state").getAttribute("data-state");
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static void awaitState(String state) {
        browser.until(d -> state.equals(shownState()));
    }

    @Test
    @Order(8)
    @SuppressWarnings("unchecked")
    void thePolicyPageSavesRequireApprovalAndTheTokenFormGrantsRolloutsRead() throws Exception {
        browser.open("/fleets/lab/policy");
        browser.awaitPage("Update policy: Lab printers");
        assertFalse(browser.checked("policy-require-approval"));
        assertTrue(browser.find(By.cssSelector("label[for=policy-require-approval]")).getText()
                .contains("rollouts created for a new release wait for an administrator"));
        // the pin labels say what PinStrategy does: minor keeps the minor line, major the major line
        assertTrue(browser.find(By.cssSelector("#policy-version-pin-strategy option[value=minor]")).getText()
                .contains("keep the installed minor line"));
        assertTrue(browser.find(By.cssSelector("#policy-version-pin-strategy option[value=major]")).getText()
                .contains("keep the installed major line"));
        // above the sticky save bar, where a user scrolls it to
        js("document.getElementById('policy-require-approval').scrollIntoView({block: 'center'});");
        browser.check("policy-require-approval", true);
        browser.click("save-policy");
        browser.visible("policy-saved");
        Map<String, Object> saved = (Map<String, Object>) admin.get("/api/v1/update-policies/lab").json().get("policy");
        assertEquals(Boolean.TRUE, saved.get("require_approval"), saved.toString());
        assertEquals(2, ((Map<String, Object>) saved.get("rollout_control")).get("batch_size"), "the rest kept as it was");
        browser.open("/fleets/lab/policy");
        browser.awaitPage("Update policy: Lab printers");
        assertTrue(browser.checked("policy-require-approval"));

        browser.open("/tokens");
        browser.awaitPage("API tokens");
        browser.click("new-token");
        browser.typeById("token-name", "rollout-watcher");
        browser.click(testId("scope-rollouts.read"));
        browser.click("create-token");
        browser.visible("token-created");
        ApiClient watcher = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).withToken(browser.value("new-token-value"));
        assertEquals(200, watcher.get("/api/v1/rollouts/" + rolloutId).status());
        assertEquals(403, watcher.post("/api/v1/rollouts/" + rolloutId + "/rollback", Map.of()).status(),
                "reading rollouts does not allow acting on them");
    }

    @Test
    @Order(9)
    @SuppressWarnings("unchecked")
    void rollingBackAsksFirstAndTheCountsFollowTheAgentBack() throws Exception {
        browser.open("/rollouts/" + rolloutId);
        browser.awaitPage("Rollout agent " + VERSION);
        awaitState("aborted");
        browser.click("rollout-rollback");
        WebElement dialog = browser.visible("confirm-dialog");
        assertTrue(dialog.getText().contains("the version each ran before"), dialog.getText());
        browser.click("confirm-ok");
        awaitState("rolling_back");
        assertEquals("0", browser.visible("count-reverted").getText());

        // the agent that updated asks (an update run) and is offered its previous version, bound to this rollout
        Map<String, Object> back = checkIn(0, "run-back", VERSION);
        assertEquals(Boolean.TRUE, back.get("update_available"), back.toString());
        Map<String, Object> offer = (Map<String, Object>) back.get("update");
        assertEquals(FROM_VERSION, offer.get("version"), offer.toString());
        assertEquals(rolloutId, offer.get("rollout_id"));
        browser.withText(testId("count-in_progress"), "1");
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", "run-back");
        t.put("status", "succeeded");
        t.put("current_version", FROM_VERSION);
        t.put("target_version", FROM_VERSION);
        t.put("timestamp", Instant.now().toString());
        ApiClient.Response reported = agents.get(0).post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, reported.status(), reported.body());
        awaitState("rolled_back");
        assertEquals("1", browser.visible("count-reverted").getText());
        // the rollback went wave by wave: the first wave (the agent's) shows its rollback done, one of one back
        WebElement firstWave = browser.find(By.cssSelector("[data-testid=rollout-waves-table] tbody tr"));
        String index = firstWave.getAttribute("data-testid").replace("wave-", "");
        browser.withText(testId("wave-" + index + "-rollback-state"), "reached its threshold");
        assertEquals("1 of 1 back", browser.visible("wave-" + index + "-reverted").getText());
        browser.withText(testId("rollout-progress-text"), "1 of 1 back on the previous version");
        assertTrue(browser.findAll(testId("action-done")).stream().noneMatch(WebElement::isDisplayed),
                "the message about starting the rollback went when the state moved on");
        assertTrue(browser.findAll(testId("rollout-rollback")).isEmpty(), "rolled back: nothing more to do");
        browser.screenshot("rollout-rolled-back");
    }

    @Test
    @Order(10)
    @SuppressWarnings("unchecked")
    void aFailureBeyondTheThresholdPausesAndThePageShowsWhyAndWhichAgents() throws Exception {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", null);
        plan.put("waves", List.of(Map.of("percent", 100)));
        plan.put("delay_between_waves_seconds", 0);
        plan.put("max_concurrent", 1);
        plan.put("jitter_seconds", 0);
        plan.put("success_threshold_percent", 90);
        plan.put("failure_threshold_percent", 1);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("component", "agent");
        body.put("version", VERSION);
        body.put("fleets", List.of("lab"));
        body.put("plan", plan);
        body.put("require_approval", false);
        ApiClient.Response created = admin.post("/api/v1/rollouts", body);
        assertEquals(201, created.status(), created.body());
        String id = (String) ((Map<String, Object>) created.json().get("rollout")).get("id");

        browser.open("/rollouts/" + id);
        browser.awaitPage("Rollout agent " + VERSION);
        awaitState("running");
        assertTrue(browser.findAll(testId("failing-agents")).stream().noneMatch(WebElement::isDisplayed));
        Map<String, Object> offered = checkIn(1, "run-fail");
        assertEquals(Boolean.TRUE, offered.get("update_available"), offered.toString());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", "run-fail");
        t.put("status", "failed");
        t.put("current_version", FROM_VERSION);
        t.put("target_version", VERSION);
        t.put("error_code", "HEALTH_CHECK");
        t.put("timestamp", Instant.now().toString());
        ApiClient.Response reported = agents.get(1).post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, reported.status(), reported.body());

        // without a reload: paused, the reason, and the agent that failed with its error code
        awaitState("paused");
        assertFalse(browser.visible("paused-reason").getText().isBlank());
        WebElement failing = browser.withText(testId("failing-" + agentIds.get(1)), "lab-1");
        assertTrue(failing.getText().contains("HEALTH_CHECK"), failing.getText());
        browser.visible("rollout-resume");
        browser.screenshot("rollout-paused-by-failures");

        // one active rollout of a component per fleet: a second one is refused (409) next to the fleets
        browser.open("/rollouts/new?fleet=lab");
        browser.awaitPage("New rollout");
        browser.withText(testId("plan-prefill"), "Filled in from fleet lab");
        assertTrue(browser.checked("rollout-fleet-lab"), "the fleet in the address is ticked");
        browser.select("rollout-version", VERSION);
        browser.click("create-rollout");
        WebElement conflict = browser.visible(By.cssSelector("[data-field=fleets] .field-error"));
        assertTrue(conflict.getText().contains(id), conflict.getText());
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script);
    }

    private static void assertNoScriptRan() {
        assertNull(js("return window.pmPwned === undefined ? null : window.pmPwned;"), "no script from the notes ran");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> rollout() throws Exception {
        ApiClient.Response r = admin.get("/api/v1/rollouts/" + rolloutId);
        assertEquals(200, r.status(), r.body());
        return (Map<String, Object>) r.json().get("rollout");
    }

    /** An update-run check-in of agent n (carries run_id, as an agent starting an update run does). */
    private static Map<String, Object> checkIn(int n, String runId) throws Exception {
        return checkIn(n, runId, FROM_VERSION);
    }

    private static Map<String, Object> checkIn(int n, String runId, String currentVersion) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", currentVersion);
        body.put("platform", "linux");
        body.put("arch", AgentReleaseBuilder.arch());
        body.put("hostname", "lab-" + n);
        body.put("run_id", runId);
        ApiClient.Response r = agents.get(n).post("/api/v1/agents/update/manifest", body);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static void report(int n, String runId, String status, String currentVersion) throws Exception {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", runId);
        t.put("status", status);
        t.put("current_version", currentVersion);
        t.put("target_version", VERSION);
        t.put("timestamp", Instant.now().toString());
        ApiClient.Response r = agents.get(n).post("/api/v1/agents/update/telemetry", t);
        assertEquals(200, r.status(), r.body());
    }
}
