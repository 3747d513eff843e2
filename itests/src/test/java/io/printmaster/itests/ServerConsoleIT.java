package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The console's Server page in a real browser against the real server process: on a server installed with
 * {@code bin/pm-server} on a plain host (the detection looks at a folder without container markers) an admin sees
 * the running version, the policy, no scheduled check until a cadence is chosen; a bad target version is shown under
 * its field and nothing is saved; a good policy saves and schedules the next check; "Update now" starts a run that
 * the history shows ending {@code skipped} (no newer server release). A server started with
 * {@code PM_DISABLE_SELFUPDATE=1} shows why self-update is off and how to update the image, and offers no Update now.
 */
class ServerConsoleIT {
    private static ServerProcess server;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("pm-server-console-selfupdate");
        server = ServerProcess.start("server-console", data, jvmOptions(data), installedHome(data));
        server.awaitEndpoints("/api/v1/server/update");
        browser = new Browser(server.baseUri());
    }

    /** A plain host for the container detection; no built-in releases (only what a test publishes). */
    private static List<String> jvmOptions(Path data) throws Exception {
        Path host = Files.createDirectories(data.resolve("host-root"));
        List<String> options = new ArrayList<>(ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        options.add("-Dpm.selfupdate.host.root=" + host);
        return options;
    }

    /** An install root with its trampoline, running the built distribution as its program. */
    private static List<String> installedHome(Path data) throws Exception {
        Path home = Files.createDirectories(data.resolve("install/bin"));
        Files.writeString(home.resolve("pm-server"), "#!/bin/sh\n");
        return List.of("--home", home.getParent().toString(), "--program-dir", ServerProcess.distribution().toString());
    }

    @AfterAll
    static void stop() throws Exception {
        ConsoleFixture.close(browser, server);
    }

    private static Browser logIn(Browser b, ServerProcess s) {
        b.open("/server");
        b.visible(By.id("login-password"));
        b.typeById("login-username", "admin");
        b.typeById("login-password", s.adminPassword());
        b.click("login-submit");
        b.awaitPage("Server");
        return b;
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAdminSeesTheVersionSavesThePolicyAndUpdatesNow() throws Exception {
        ApiClient admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
        String version = (String) admin.get("/api/v1/server/update").json().get("current_version");
        logIn(browser, server);
        assertEquals(version, browser.visible("server-version").getText(), "the running version");
        assertEquals("idle", browser.visible("server-state").getText());
        assertTrue(browser.visible("server-next-check").getText().contains("cadence disabled"),
                browser.visible("server-next-check").getText());
        assertTrue(browser.findAll(testId("server-disabled")).isEmpty(), "self-update is possible here");
        assertTrue(browser.visible("server-no-update").getText().contains("No newer server release"));
        assertTrue(browser.visible("server-runs-table").getText().contains("No update runs yet."));

        // a bad target: the error is shown under its field, nothing is saved
        browser.typeById("server-target", "soon");
        browser.select("server-cadence", "weekly");
        browser.click("server-policy-save");
        WebElement targetError = browser.withText(By.cssSelector("[data-error-for=\"policy.target_version\"]"),
                "is not a version");
        assertTrue(targetError.isDisplayed());
        assertEquals("disabled", ((Map<String, Object>) admin.get("/api/v1/server/update").json().get("policy")).get("cadence"),
                "nothing was saved");

        browser.typeById("server-target", "");
        browser.click("server-policy-save");
        browser.visible("server-policy-saved");
        assertEquals("weekly", ((Map<String, Object>) admin.get("/api/v1/server/update").json().get("policy")).get("cadence"));
        browser.until(d -> !browser.visible("server-next-check").getText().contains("cadence disabled"));

        browser.click("server-update-now");
        assertTrue(browser.visible("server-run-started").getText().contains("started"));
        List<Object> runs = (List<Object>) admin.get("/api/v1/server/update/runs").json().get("runs");
        assertEquals(1, runs.size(), runs.toString());
        String runId = (String) ((Map<String, Object>) runs.get(0)).get("run_id");
        browser.withText(testId("server-run-status-" + runId), "skipped");
        assertTrue(browser.visible("server-run-error-" + runId).getText().contains("no newer server release"),
                browser.visible("server-run-error-" + runId).getText());
        browser.withText(testId("server-state"), "idle");
        assertTrue(browser.visible("server-update-now").isEnabled(), "another run may start");
    }

    @Test
    void whenSelfUpdateIsOffThePageSaysHowToUpdateInstead() throws Exception {
        Path data = Files.createTempDirectory("pm-server-console-selfupdate-off");
        ServerProcess off = ServerProcess.start("server-console-off", data, jvmOptions(data), installedHome(data),
                Map.of("PM_DISABLE_SELFUPDATE", "1"));
        Browser b = null;
        try {
            off.awaitEndpoints("/api/v1/server/update");
            b = new Browser(off.baseUri());
            logIn(b, off);
            String reason = b.visible("server-disabled-reason").getText();
            assertTrue(reason.contains("PM_DISABLE_SELFUPDATE=1"), reason);
            assertTrue(reason.contains("docker compose pull && docker compose up -d"), reason);
            assertTrue(b.visible("server-disabled").getText().contains("SELF_UPDATE_DISABLED"));
            assertFalse(b.visible("server-update-now").isEnabled(), "no Update now where self-update is off");
            assertTrue(b.visible("server-next-check").getText().contains("self-update is off"));
        } finally {
            ConsoleFixture.close(b, off);
        }
    }
}
