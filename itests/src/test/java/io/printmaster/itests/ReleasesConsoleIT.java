package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The console's release pages in a real browser against the real server: add a GitHub source, sync with live
 * progress, see what was cached and what was refused (release notes shown as text, never markup), rotate the key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReleasesConsoleIT {
    private static final String NOTES = "Fixes <img src=x onerror=alert(1)> & <b>more</b>";
    private static ServerProcess server;
    private static Browser browser;
    private static GitHubReleasesServer github;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        github = new GitHubReleasesServer();
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] good = new byte[150_000];
        new Random(7).nextBytes(good);
        files.put("printmaster-agent-v2.0.0-linux-amd64.tar.gz", good);
        files.put("printmaster-agent-v2.0.0-windows-amd64.zip", "tampered bytes here".getBytes(StandardCharsets.UTF_8));
        github.publish("v2.0.0", NOTES, "2026-11-20T08:00:00Z", files, "printmaster-agent-v2.0.0-windows-amd64.zip");
        // a tag that names no version (a nightly): skipped, and the console says so
        github.publish("nightly", "nightly build", "2026-11-19T08:00:00Z",
                Map.of("printmaster-agent-nightly-linux-amd64.tar.gz", "nightly".getBytes(StandardCharsets.UTF_8)), null);
        // only the GitHub source of this test: the built-in one would add its own artifacts and sync
        server = ServerProcess.start("releases-console", java.nio.file.Files.createTempDirectory("pm-server-releases-console"),
                ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/release-sources", "/api/v1/releases/artifacts", "/api/v1/releases/signing-keys");
        browser = new Browser(server.baseUri());
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
    void adminAddsAGitHubSourceAndSeesItActive() {
        browser.open("/release-sources");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage("Release sources");

        browser.click("new-source");
        browser.select("source-type", "github");
        browser.typeById("source-name", "Bad Name");
        browser.typeById("source-config-repository", GitHubReleasesServer.REPOSITORY);
        browser.click("create-source");
        assertTrue(browser.visible(By.cssSelector("[data-field=name] .field-error")).getText().contains("lowercase"));

        browser.typeById("source-name", "gh-console");
        browser.typeById("source-config-api_url", github.apiUrl().toString());
        browser.typeById("source-config-token", "ghp_console_secret");
        browser.click("create-source");
        browser.withText(testId("flash"), "gh-console added");
        WebElement row = browser.visible("source-row-gh-console");
        assertTrue(row.getText().contains(GitHubReleasesServer.REPOSITORY), row.getText());
        assertFalse(browser.driver().getPageSource().contains("ghp_console_secret"), "the token is never shown");
        assertEquals(1, row.findElements(testId("token-set")).size());
        // the plugin picks the configuration up: reloading shows it active
        new org.openqa.selenium.support.ui.WebDriverWait(browser.driver(), java.time.Duration.ofSeconds(30)).until(d -> {
            browser.open("/release-sources");
            return browser.visible("source-row-gh-console").getText().contains("active");
        });
    }

    @Test
    @Order(2)
    void aSyncShowsLiveProgressThenTheCachedArtifactAndTheRefusedOne() {
        browser.open("/releases");
        browser.awaitPage("Releases");
        browser.click("sync-now");
        WebElement current = browser.visible("sync-current");
        browser.until(d -> current.getText().startsWith("Finished") || current.getText().startsWith("The sync failed"));
        assertTrue(current.getText().startsWith("Finished"), current.getText());
        // the refusal, live and in the intake card
        browser.until(d -> !browser.findAll(testId("sync-rejected")).isEmpty() || !browser.findAll(testId("rejection-reason")).isEmpty());
        browser.withText(testId("rejections-table"), "HASH_MISMATCH");
        // the skipped tag, live, counted by reason, and in the intake card
        browser.withText(testId("sync-skipped"), "tag_not_a_version");
        assertTrue(current.getText().contains("tag_not_a_version: 1"), current.getText());
        browser.open("/releases");
        browser.awaitPage("Releases");
        browser.withText(testId("last-sync"), "skipped");
        browser.click(By.cssSelector("[data-testid=skips] summary"));
        browser.withText(testId("skips-table"), "tag 'nightly'");

        WebElement row = browser.visible(By.cssSelector("[data-asset=\"printmaster-agent-v2.0.0-linux-amd64.tar.gz\"]"));
        assertTrue(row.getText().contains("linux-amd64") && row.getText().contains("cached"), row.getText());
        assertTrue(browser.findAll(By.cssSelector("[data-asset=\"printmaster-agent-v2.0.0-windows-amd64.zip\"]")).isEmpty());

        // release notes: exactly the text, no element made from it
        browser.click(By.cssSelector("[data-testid=release-notes-row] summary"));
        WebElement notes = browser.visible("release-notes-agent-2.0.0");
        assertEquals(NOTES, notes.getText());
        assertTrue(notes.findElements(By.tagName("img")).isEmpty() && notes.findElements(By.tagName("b")).isEmpty());
        browser.screenshot("releases-page");
    }

    @Test
    @Order(3)
    void rotatingTheKeyAsksFirstThenShowsTheNewActiveKey() {
        browser.open("/signing-keys");
        browser.awaitPage("Signing keys");
        String before = browser.visible("key-active").findElement(By.xpath("ancestor::tr")).getAttribute("data-testid");
        browser.typeById("rotate-notes", "console rotation");
        browser.click("rotate-key");
        browser.visible("confirm-dialog");
        browser.click("confirm-cancel");
        assertEquals(before, browser.visible("key-active").findElement(By.xpath("ancestor::tr")).getAttribute("data-testid"),
                "cancelled: nothing changed");

        browser.click("rotate-key");
        browser.click("confirm-ok");
        browser.withText(testId("flash"), "manifest");
        assertTrue(browser.find(testId("flash")).getText().contains("1 manifest re-signed"), browser.find(testId("flash")).getText());
        String after = browser.visible("key-active").findElement(By.xpath("ancestor::tr")).getAttribute("data-testid");
        assertFalse(before.equals(after), before + " is still active");
        assertEquals(1, browser.findAll(By.cssSelector("[data-testid=rotations-table] tbody tr")).size());
        browser.screenshot("signing-keys-page");
    }
}
