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
 * the history shows ending {@code skipped} (no newer server release). A newer server release taken in from a release
 * folder is offered with its sanitized notes, and "Update now" verifies and stages it into the install root's slot;
 * the history shows how the run ended. A server started with
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

    /** This machine's platform as release file names spell it. */
    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(java.util.Locale.ROOT);
        return (os.contains("win") ? "windows" : os.contains("mac") ? "darwin" : "linux") + "-"
                + (arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : "amd64");
    }

    /** A server release {@code version} for this platform, with notes, in a release folder the server then reads. */
    private static void publishServerRelease(String version) throws Exception {
        Path folder = Files.createDirectories(server.dataDir().resolve("server-releases"));
        String top = "printmaster-server-v" + version + "/";
        Path archive = folder.resolve("printmaster-server-v" + version + "-" + platform() + ".tar.gz");
        TarGz.write(archive, List.of(TarGz.Entry.dir(top),
                TarGz.Entry.file(top + "bin/pm-server", "#!/bin/sh\n", 0755),
                TarGz.Entry.file(top + "bin/pm-server.cmd", "@echo off\r\n", 0644),
                TarGz.Entry.file(top + "lib/io.printmaster.launcher.jar", "launcher " + version, 0644),
                TarGz.Entry.file(top + "bundle/io.printmaster.server.system.jar", "bundle " + version, 0644),
                TarGz.Entry.file(top + "conf/logback.xml", "<configuration/>", 0644),
                TarGz.Entry.file(top + "VERSION", version + "\n", 0644)));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(archive)));
        Files.writeString(folder.resolve("SHA256SUMS"), sha + "  " + archive.getFileName() + "\n");
        Files.writeString(folder.resolve("NOTES-" + version + ".md"),
                "## Fixes\n\n- **Faster** check-ins\n\n<script>window.pwned = true</script>\n");
        Files.createDirectories(server.dataDir().resolve("etc"));
        Files.writeString(server.dataDir().resolve("etc/io.printmaster.releasesource.directory-servers.cfg"),
                "path=" + folder + "\n");
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

        // nothing newer: Update now records a skipped run, which the history shows with the reason
        browser.click("server-update-now");
        assertTrue(browser.visible("server-run-started").getText().contains("started"));
        List<Map<String, Object>> runs = (List<Map<String, Object>>) admin.get("/api/v1/server/update/runs").json().get("runs");
        assertEquals(1, runs.size(), runs.toString());
        String skipped = (String) runs.get(0).get("run_id");
        browser.withText(testId("server-run-status-" + skipped), "skipped");
        assertTrue(browser.visible("server-run-error-" + skipped).getText().contains("no newer server release"),
                browser.visible("server-run-error-" + skipped).getText());
        browser.withText(testId("server-state"), "idle");

        // a newer server release arrives through a release folder: the page offers it with its sanitized notes
        String newer = newerPatch(version);
        publishServerRelease(newer);
        IntakeDiagnostics.awaitIntake(admin, java.time.Duration.ofSeconds(60), () -> {
            Map<String, Object> available = (Map<String, Object>) admin.get("/api/v1/server/update").json().get("available");
            assertTrue(available != null && newer.equals(available.get("version")), "available: " + available);
        });
        browser.open("/server");
        browser.awaitPage("Server");
        assertEquals(newer, browser.visible("server-available-version").getText());
        WebElement notes = browser.visible("server-release-notes");
        assertTrue(notes.getText().contains("Faster check-ins"), notes.getText());
        assertEquals("Faster", notes.findElement(By.tagName("strong")).getText(), "the notes' Markdown is rendered");
        assertTrue(notes.findElements(By.tagName("script")).isEmpty(), "no script from the notes");

        // Update now: the run verifies and stages the release into the install root, then the applier decides; in
        // this test server (no service manager, PM_SUPERVISED unset) applying cannot finish, and the history says why
        browser.click("server-update-now");
        browser.visible("server-run-started");
        runs = (List<Map<String, Object>>) admin.get("/api/v1/server/update/runs").json().get("runs");
        String run = (String) runs.get(0).get("run_id");
        WebElement status = browser.until(d -> {
            WebElement s = browser.visible("server-run-status-" + run);
            return List.of("failed", "rolled_back", "succeeded").contains(s.getText()) ? s : null;
        });
        Map<String, Object> ended = ((List<Map<String, Object>>) admin.get("/api/v1/server/update/runs").json().get("runs"))
                .get(0);
        assertEquals(newer, ended.get("to_version"), ended.toString());
        assertEquals(ended.get("status"), status.getText(), "the page shows the recorded status");
        assertTrue(Files.isRegularFile(installRoot().resolve("versions/" + newer + "/bin/pm-server")),
                "the verified release was staged into its slot: " + ended);
        assertEquals(newer, Files.readString(installRoot().resolve("versions/" + newer + "/VERSION")).strip());
        if (!"succeeded".equals(ended.get("status"))) {
            String error = browser.visible("server-run-error-" + run).getText();
            assertTrue(error.contains((String) ended.get("error_code")), "the error code is shown: " + error);
        }
    }

    private static Path installRoot() {
        return server.dataDir().resolve("install");
    }

    /** The next patch release after the running version (0.1.0-SNAPSHOT → 0.1.1). */
    private static String newerPatch(String running) {
        String[] core = running.replaceAll("[-+].*$", "").split("\\.");
        return core[0] + "." + core[1] + "." + (Integer.parseInt(core[2]) + 1);
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
