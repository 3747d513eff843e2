package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The console's Installers and Agents pages in a real browser against the real server, with one official agent
 * archive (linux-amd64) in a directory release source: every platform has its card with a download control per
 * format, either a link to the installer or a disabled button with the reason (no artifact yet, no format plugin),
 * and its install instructions.
 */
class InstallersConsoleIT {
    private static ServerProcess server;
    private static Browser browser;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("pm-server-installers-console");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        String top = "printmaster-agent-1.0.0/";
        Path archive = releases.resolve("printmaster-agent-v1.0.0-linux-amd64.tar.gz");
        TarGz.write(archive, List.of(TarGz.Entry.dir(top), TarGz.Entry.file(top + "bin/pm-agent", "#!/bin/sh\n", 0755)));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(archive)));
        Files.writeString(releases.resolve("SHA256SUMS"), sha + "  " + archive.getFileName() + "\n");
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-local.cfg"), "path=" + releases + "\n");
        // only this test's folder: the archives the server ships would give windows-amd64 an artifact
        server = ServerProcess.start("installers-console", data, ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/releases/artifacts");
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
    void theInstallersPageOffersADownloadPerPlatformAndFormatWithInstructions() throws Exception {
        ApiClient admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "lab", "name", "Lab printers")).status());
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () ->
                assertTrue(admin.get("/api/v1/releases/artifacts?component=agent").body().contains("\"arch\":\"amd64\"")));

        browser.open("/installers");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Installers");
        browser.click("open-installers-lab");
        browser.awaitPage("Installers: Lab printers");

        for (String platform : List.of("linux-amd64", "linux-arm64", "windows-amd64", "darwin-arm64")) {
            browser.visible("installer-" + platform);
            assertFalse(browser.visible("instructions-" + platform).getText().isBlank());
        }
        assertTrue(browser.visible("instructions-linux-amd64").getText()
                .contains("tar -xzf printmaster-agent-lab-v1.0.0-linux-amd64.tar.gz\ncd printmaster-agent-1.0.0\nbin/pm-agent --supervise"));
        assertTrue(browser.visible("instructions-windows-amd64").getText().contains("msiexec /i"));
        assertTrue(browser.visible("instructions-windows-amd64").getText().contains("bin\\pm-agent.cmd"));

        // linux-amd64 has its archive and the tar.gz format ships with the server: a download link
        WebElement tar = browser.visible("download-linux-amd64-tar.gz");
        assertTrue(tar.getText().contains("Download installer"), tar.getText());
        assertEquals("a", tar.getTagName());
        assertTrue(tar.getAttribute("href").endsWith("/api/v1/installers/lab/linux-amd64?format=tar.gz"), tar.getAttribute("href"));
        // windows has no artifact yet: disabled, and the page says why
        WebElement zip = browser.visible("download-windows-amd64-zip");
        assertEquals("button", zip.getTagName());
        assertNotNull(zip.getAttribute("disabled"));
        assertTrue(browser.visible("download-windows-amd64-zip-reason").getText().contains("No official agent artifact"));

        // the Agents page renders whether or not the agents service is there yet
        browser.click("nav-agents");
        browser.awaitPage("Agents");
        Eventually.within(Duration.ofSeconds(20), () -> assertTrue(!browser.findAll(testId("agents-table")).isEmpty()
                || !browser.findAll(testId("agents-unavailable")).isEmpty(), "the agents page shows the list or says the service is missing"));
    }
}
