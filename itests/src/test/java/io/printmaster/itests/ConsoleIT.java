package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web console in a real browser against the real server process: what an administrator does on a first day.
 * Screenshots go to target/screenshots (one at the end of the happy path, one for any failure); the server's
 * output to target/server-logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SESSION = "/api/v1/auth/session";
    private static ServerProcess server;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start("console");
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
    @Order(1)
    void theConsoleIsServedAtTheRootWithStrictSecurityHeaders() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(server.uri("/fleets/any/policy")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<script type=\"module\" src=\"/js/app.js\">"), "a client route answers the console page");
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(null));
        assertEquals("same-origin", page.headers().firstValue("Referrer-Policy").orElse(null));

        HttpResponse<String> js = http.send(HttpRequest.newBuilder(server.uri("/js/app.js")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
        String etag = js.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = http.send(HttpRequest.newBuilder(server.uri("/js/app.js")).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode());

        assertEquals(404, http.send(HttpRequest.newBuilder(server.uri("/js/no-such-file.js")).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        HttpResponse<String> api = http.send(HttpRequest.newBuilder(server.uri("/api/v1/no-such-endpoint")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, api.statusCode());
        assertTrue(api.body().contains("\"error\""), "the API keeps answering its own JSON errors under /api");
    }

    @Test
    @Order(2)
    void adminCreatesAFleetSetsItsPolicyAndFindsBothInTheAuditLog() throws Exception {
        server.awaitEndpoints(SESSION, "/api/v1/fleets", "/api/v1/update-policies/global", "/api/v1/audit");
        // a wrong password first: the form says so and stays on the login page
        browser.open("/");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", "not-the-password");
        browser.click("login-submit");
        assertTrue(browser.visible("login-error").getText().contains("Wrong user name or password"));

        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Dashboard");
        assertEquals("admin", browser.visible("user-name").getText());
        browser.withText(testId("server-version"), "Server " + health().get("version").asText());

        // create a fleet
        browser.click("nav-fleets");
        browser.awaitPage("Fleets");
        browser.click("new-fleet");
        browser.typeById("fleet-name", "Lab printers");
        assertEquals("lab-printers", browser.value("fleet-id"), "the id follows the name");
        browser.typeById("fleet-id", "lab");
        browser.typeById("fleet-description", "Printers in the test lab");
        browser.click("create-fleet");
        WebElement row = browser.visible("fleet-row-lab");
        assertTrue(row.getText().contains("Lab printers"), row.getText());
        assertTrue(browser.visible("flash").getText().contains("created"));

        // its policy editor: inherited until saved
        browser.click("fleet-policy-lab");
        browser.awaitPage("Update policy: Lab printers");
        assertTrue(browser.visible("policy-source").getText().contains("inherits"), browser.find(testId("policy-source")).getText());

        browser.typeById("policy-update-check-days", "7");
        browser.select("policy-version-pin-strategy", "patch");
        browser.check("policy-allow-major-upgrade", false);
        browser.typeById("policy-target-version", "2.4.1");
        browser.check("policy-collect-telemetry", true);
        browser.check("policy-mw-enabled", true);
        browser.typeById("policy-mw-start-hour", "2");
        browser.typeById("policy-mw-start-min", "30");
        browser.typeById("policy-mw-end-hour", "4");
        browser.typeById("policy-mw-end-min", "15");
        browser.typeById("policy-mw-timezone", "Europe/Berlin");
        for (int day = 0; day < 7; day++) {
            browser.check("policy-mw-day-" + day, day == 1 || day == 3 || day == 6);
        }
        browser.check("policy-rc-staggered", true);
        browser.typeById("policy-rc-max-concurrent", "5");
        browser.typeById("policy-rc-batch-size", "10");
        browser.typeById("policy-rc-delay-between-waves", "600");
        browser.typeById("policy-rc-jitter-seconds", "30");
        browser.check("policy-rc-emergency-abort", false);
        browser.click("save-policy");
        browser.visible("policy-saved");
        browser.withText(testId("policy-source"), "own policy");

        // a reload shows what the server stored
        browser.driver().navigate().refresh();
        browser.awaitPage("Update policy: Lab printers");
        browser.withText(testId("policy-source"), "own policy");
        assertSavedPolicy();
        browser.screenshot("console-policy-saved");

        // a bad time zone: the server's error shows next to the time zone input and nothing typed is lost
        browser.typeById("policy-mw-timezone", "Mars/Olympus_Mons");
        browser.typeById("policy-rc-batch-size", "12");
        browser.click("save-policy");
        By timezoneError = By.cssSelector("[data-field=\"policy.maintenance_window.timezone\"] .field-error");
        WebElement error = browser.visible(timezoneError);
        assertFalse(error.getText().isBlank());
        WebElement wrapper = browser.find(By.cssSelector("[data-field=\"policy.maintenance_window.timezone\"]"));
        assertNotNull(wrapper.findElement(By.id("policy-mw-timezone")), "the message sits with the time zone input");
        assertEquals("true", browser.find(By.id("policy-mw-timezone")).getDomAttribute("aria-invalid"));
        assertEquals("Mars/Olympus_Mons", browser.value("policy-mw-timezone"));
        assertEquals("12", browser.value("policy-rc-batch-size"));
        assertEquals("7", browser.value("policy-update-check-days"));
        assertFalse(browser.find(testId("policy-saved")).isDisplayed());
        browser.screenshot("console-policy-field-error");

        // and nothing of the rejected change was stored
        browser.driver().navigate().refresh();
        browser.awaitPage("Update policy: Lab printers");
        assertSavedPolicy();

        // the audit log has the fleet's creation and its policy change, newest first
        browser.click("nav-audit");
        browser.awaitPage("Audit log");
        browser.visible("audit-table");
        List<WebElement> rows = browser.findAll(testId("audit-row"));
        int creation = indexOf(rows, "fleet.create", "fleet:lab");
        int policyChange = indexOf(rows, "policy.update", "policy:lab");
        assertTrue(creation >= 0, "no audit entry for creating fleet lab in " + actions(rows));
        assertTrue(policyChange >= 0, "no audit entry for the policy of fleet lab in " + actions(rows));
        assertTrue(policyChange < creation, "newest first: the policy change comes before the creation in " + actions(rows));
        WebElement policyRow = rows.get(policyChange);
        policyRow.findElement(testId("audit-toggle")).click();
        WebElement after = browser.visible(testId("audit-after"));
        assertTrue(after.getText().contains("Europe/Berlin"), after.getText());
        browser.screenshot("console-audit");
    }

    private static void assertSavedPolicy() {
        assertEquals("7", browser.value("policy-update-check-days"));
        assertEquals("patch", browser.value("policy-version-pin-strategy"));
        assertFalse(browser.checked("policy-allow-major-upgrade"));
        assertEquals("2.4.1", browser.value("policy-target-version"));
        assertTrue(browser.checked("policy-collect-telemetry"));
        assertTrue(browser.checked("policy-mw-enabled"));
        assertEquals("2", browser.value("policy-mw-start-hour"));
        assertEquals("30", browser.value("policy-mw-start-min"));
        assertEquals("4", browser.value("policy-mw-end-hour"));
        assertEquals("15", browser.value("policy-mw-end-min"));
        assertEquals("Europe/Berlin", browser.value("policy-mw-timezone"));
        for (int day = 0; day < 7; day++) {
            assertEquals(day == 1 || day == 3 || day == 6, browser.checked("policy-mw-day-" + day), "day " + day);
        }
        assertTrue(browser.checked("policy-rc-staggered"));
        assertEquals("5", browser.value("policy-rc-max-concurrent"));
        assertEquals("10", browser.value("policy-rc-batch-size"));
        assertEquals("600", browser.value("policy-rc-delay-between-waves"));
        assertEquals("30", browser.value("policy-rc-jitter-seconds"));
        assertFalse(browser.checked("policy-rc-emergency-abort"));
    }

    /** The index of the first (newest) audit row with this action and target, or -1. */
    private static int indexOf(List<WebElement> rows, String action, String target) {
        for (int i = 0; i < rows.size(); i++) {
            if (action.equals(rows.get(i).getDomAttribute("data-action")) && target.equals(rows.get(i).getDomAttribute("data-target"))) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> actions(List<WebElement> rows) {
        return rows.stream().map(r -> r.getDomAttribute("data-action") + " " + r.getDomAttribute("data-target")).toList();
    }

    @Test
    @Order(3)
    void thePluginsPageListsWhatTheServerReports() throws Exception {
        server.awaitEndpoints(SESSION, "/api/v1/plugins");
        logInIfNeeded();
        browser.click("nav-plugins");
        browser.awaitPage("Plugins");
        for (String type : List.of("release_source", "installer_format", "signing_provider", "service_manager")) {
            browser.visible("plugins-table-" + type);
        }
        JsonNode plugins = adminApi().get("/api/v1/plugins").get("plugins");
        List<WebElement> rows = browser.findAll(testId("plugin-row"));
        assertEquals(plugins.size(), rows.size(), "one row per plugin the API reports");
        browser.withText(testId("plugins-count"), plugins.size() + " plugin");
        for (JsonNode p : plugins) {
            WebElement table = browser.find(testId("plugins-table-" + p.get("type").asText()));
            assertTrue(table.getText().contains(p.get("bundle").asText()), table.getText());
            assertTrue(table.getText().contains(p.get("bundle_version").asText()), table.getText());
            assertTrue(table.getText().contains(p.get("state").asText()), table.getText());
        }
    }

    @Test
    @Order(4)
    void anApiTokenIsShownOnceWorksAndStopsWorkingWhenRevoked() throws Exception {
        server.awaitEndpoints(SESSION, "/api/v1/auth/tokens", "/api/v1/plugins");
        logInIfNeeded();
        browser.click("nav-tokens");
        browser.awaitPage("API tokens");
        browser.click("new-token");
        browser.typeById("token-name", "plugin-reader");
        browser.click(testId("scope-settings.server.read"));
        browser.typeById("token-expires", "30");
        browser.click("create-token");
        WebElement created = browser.visible("token-created");
        assertTrue(created.getText().contains("shown only this once"), created.getText());
        String token = browser.value("new-token-value");
        assertFalse(token.isBlank());

        HttpClient http = HttpClient.newHttpClient();
        HttpRequest withToken = HttpRequest.newBuilder(server.uri("/api/v1/plugins")).header("Authorization", "Bearer " + token).build();
        assertEquals(200, http.send(withToken, HttpResponse.BodyHandlers.discarding()).statusCode());

        WebElement row = browser.until(d -> d.findElements(By.cssSelector("[data-testid^=\"token-row-\"]")).stream()
                .filter(r -> r.getText().contains("plugin-reader")).findFirst().orElse(null));
        assertTrue(row.getText().contains("settings.server.read"), row.getText());
        String rowId = row.getDomAttribute("data-testid");
        row.findElement(By.cssSelector("[data-testid^=\"revoke-token-\"]")).click();
        browser.click("confirm-ok");
        browser.withText(testId(rowId), "revoked");
        assertEquals(401, http.send(withToken, HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    @Order(5)
    void loggingOutReturnsToTheLoginPageAndPagesNeedALoginAgain() throws Exception {
        server.awaitEndpoints(SESSION);
        logInIfNeeded();
        browser.click("logout");
        browser.visible(By.id("login-password"));
        browser.open("/audit");
        browser.visible(By.id("login-password"));
        assertTrue(browser.driver().getCurrentUrl().contains("/login?next=%2Faudit"), browser.driver().getCurrentUrl());
    }

    private static void logInIfNeeded() {
        browser.open("/fleets");
        browser.until(ExpectedConditions.or(
                ExpectedConditions.visibilityOfElementLocated(By.id("login-password")),
                ExpectedConditions.textToBePresentInElementLocated(testId("page-title"), "Fleets")));
        if (!browser.findAll(By.id("login-password")).isEmpty()) {
            browser.typeById("login-username", "admin");
            browser.typeById("login-password", server.adminPassword());
            browser.click("login-submit");
            browser.awaitPage("Fleets");
        }
    }

    private static JsonNode health() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri("/api/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** The REST API with its own admin session, to compare what the console shows with what the server says. */
    private static AdminApi adminApi() throws Exception {
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String body = JSON.writeValueAsString(Map.of("username", "admin", "password", server.adminPassword()));
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, login.statusCode(), login.body());
        return new AdminApi(http);
    }

    private record AdminApi(HttpClient http) {
        JsonNode get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            return JSON.readTree(r.body());
        }
    }
}
