package io.printmaster.itests;

import static io.printmaster.itests.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.api.version.VersionPin;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The console defects of issue 15, each as a new user met it, in a real browser against the real server: no stray
 * "null" above the policy and agent pages, pin labels that say what the core keeps, an installer download that
 * fails with the server's message, no horizontal overflow at 1,280 px (audit log, agents) and a usable layout at
 * 800 px, and install steps equal to the administrator guide's.
 */
class ConsoleDefectsIT {
    private static final String LONG_HOST = "printer-gateway-" + "x".repeat(60) + ".branch-office.example.com";

    private static ServerProcess server;
    private static Browser browser;
    private static ApiClient admin;
    private static String agentId;

    @RegisterExtension
    static final ScreenshotOnFailure SCREENSHOTS = new ScreenshotOnFailure(() -> browser);

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("pm-server-console-defects");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        String top = "printmaster-agent-1.0.0/";
        Path tar = releases.resolve("printmaster-agent-v1.0.0-linux-amd64.tar.gz");
        TarGz.write(tar, List.of(TarGz.Entry.dir(top), TarGz.Entry.file(top + "bin/pm-agent", "#!/bin/sh\n", 0755)));
        // a Windows archive without the service host: the MSI format refuses it (422 invalid_artifact)
        Path zip = releases.resolve("printmaster-agent-v1.0.0-windows-amd64.zip");
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
            for (String name : List.of(top, top + "bin/", top + "bin/pm-agent.cmd", top + "VERSION")) {
                z.putNextEntry(new ZipEntry(name));
                if (!name.endsWith("/")) {
                    z.write((name.endsWith("VERSION") ? "1.0.0\n" : "@echo off\r\n").getBytes(StandardCharsets.UTF_8));
                }
                z.closeEntry();
            }
        }
        StringBuilder sums = new StringBuilder();
        for (Path p : List.of(tar, zip)) {
            sums.append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))))
                    .append("  ").append(p.getFileName()).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums.toString());
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-local.cfg"), "path=" + releases + "\n");
        server = ServerProcess.start("console-defects", data, ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/releases/artifacts", "/api/v1/agents", "/api/v1/audit");
        admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "lab", "name", "Lab printers")).status());
        // audit entries with long targets and values, and an agent with a long host name: what widened the pages
        for (int i = 0; i < 3; i++) {
            String id = "branch-office-" + i + "-" + "y".repeat(40);
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", id, "name", "Branch " + i + " " + "z".repeat(80))).status());
        }
        agentId = ConsoleFixture.enroll(admin, ApiClient.anonymous(Integer.toString(server.baseUri().getPort())), "lab",
                LONG_HOST, "1.0.0").id();
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            String artifacts = admin.get("/api/v1/releases/artifacts?component=agent").body();
            assertTrue(artifacts.contains("linux-amd64") || artifacts.contains("\"platform\":\"linux\""), artifacts);
            assertTrue(artifacts.contains("\"platform\":\"windows\""), artifacts);
        });

        browser = new Browser(server.baseUri());
        ConsoleFixture.logIn(browser, server, "Dashboard");
    }

    @AfterAll
    static void stop() throws Exception {
        ConsoleFixture.close(browser, server);
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script, args);
    }

    /** Text nodes of the page's main area that read exactly "null" (what replaceChildren(null) leaves). */
    @SuppressWarnings("unchecked")
    private static List<String> strayNulls() {
        return (List<String>) js("""
                const out = [];
                const walker = document.createTreeWalker(document.getElementById('main'), NodeFilter.SHOW_TEXT);
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                  if (n.textContent.trim() === 'null' || n.textContent.trim() === 'undefined') out.push(n.parentElement.outerHTML.slice(0, 200));
                }
                return out;""");
    }

    @Test
    void noStrayNullAboveTheGlobalPolicyAFleetPolicyOrAnAgent() {
        browser.open("/policy");
        browser.awaitPage("Global update policy");
        browser.visible("policy-form");
        assertEquals(List.of(), strayNulls(), "global policy");
        assertTrue(browser.find(By.id("main")).getText().startsWith("Global update policy"),
                "the page starts with its title: " + browser.find(By.id("main")).getText().substring(0, 60));

        browser.open("/fleets/lab/policy");
        browser.awaitPage("Update policy: Lab printers");
        browser.visible("policy-form");
        assertEquals(List.of(), strayNulls(), "fleet policy");

        browser.open("/agents/" + agentId);
        browser.awaitPage("Agent " + agentId);
        browser.visible("agent-facts");
        assertEquals(List.of(), strayNulls(), "agent page");
    }

    @Test
    void pinLabelsNameTheLineTheCoreKeeps() {
        browser.open("/policy");
        browser.awaitPage("Global update policy");
        Select pin = new Select(browser.visible(By.id("policy-version-pin-strategy")));
        SemanticVersion installed = SemanticVersion.parse("1.4.2");
        assertEquals(3, pin.getOptions().size());
        for (WebElement option : pin.getOptions()) {
            PinStrategy strategy = PinStrategy.fromWireName(option.getAttribute("value"));
            String kept = VersionPin.of(strategy, installed).toString();
            String label = option.getText();
            assertTrue(label.startsWith(strategy.wireName() + ":"), label);
            assertTrue(label.contains(kept), label + " names what " + strategy + " keeps for 1.4.2: " + kept);
            switch (strategy) {
                case MAJOR -> assertTrue(label.contains("major line") && !label.contains("minor line"), label);
                case MINOR -> assertTrue(label.contains("minor line") && !label.contains("major"), label);
                case PATCH -> assertTrue(label.contains("exactly the installed version"), label);
                default -> throw new AssertionError(strategy);
            }
        }
    }

    @Test
    void aRefusedInstallerDownloadShowsTheServersMessage() throws Exception {
        // the API's answer, for comparison: 422 with a message naming what is missing
        ApiClient.Response refused = admin.get("/api/v1/installers/lab/windows-amd64?format=msi");
        assertEquals("invalid_artifact", refused.assertError(422, "msi of an archive without a service host"));
        String message = (String) ((Map<?, ?>) refused.json().get("error")).get("message");

        browser.open("/fleets/lab/installers");
        browser.awaitPage("Installers: Lab printers");
        browser.click("download-windows-amd64-msi");
        WebElement error = browser.visible("download-windows-amd64-msi-error");
        assertTrue(error.getText().contains(message), error.getText() + " shows " + message);
        assertTrue(error.getText().contains("invalid_artifact"), error.getText());
        assertEquals("alert", error.getAttribute("role"), "announced to screen readers");
    }

    @Test
    void installStepsEqualTheAdministratorGuide() throws Exception {
        String guide = Files.readString(Path.of(System.getProperty("pm.workspace", ".."), "docs", "admin-guide.md"));
        String section = guide.substring(guide.indexOf("## Downloading installers"));
        section = section.substring(0, section.indexOf("\n## ", 5));
        List<String> blocks = new ArrayList<>();
        Matcher fenced = Pattern.compile("(?s)```[a-z]*\\n(.*?)\\n```").matcher(section);
        while (fenced.find()) {
            blocks.add(fenced.group(1).strip());
        }
        String prose = normalize(section.replace("`", "").replaceAll("\\[([^]]+)]\\([^)]+\\)", "$1"));

        browser.open("/fleets/lab/installers");
        browser.awaitPage("Installers: Lab printers");
        int compared = 0;
        for (String platform : List.of("linux-amd64", "linux-arm64", "darwin-arm64", "windows-amd64")) {
            WebElement steps = browser.visible("instructions-" + platform);
            for (WebElement step : steps.findElements(By.cssSelector("[data-step]"))) {
                // the guide's example is fleet lab, version 1.2.0, linux-amd64 for the tar.gz platforms
                String text = step.getText().replace("1.0.0", "1.2.0").replace("<version>", "1.2.0")
                        .replace("linux-arm64", "linux-amd64").replace("darwin-arm64", "linux-amd64").strip();
                if ("code".equals(step.getAttribute("data-step"))) {
                    assertTrue(blocks.contains(text), platform + ": the guide has no block\n" + text + "\namong\n" + blocks);
                } else {
                    assertTrue(prose.contains(normalize(text)), platform + ": the guide does not say: " + text);
                }
                compared++;
            }
            String all = steps.getText();
            if (!platform.startsWith("windows")) {
                assertTrue(all.contains("bin/pm-agent --supervise"), all);
                assertTrue(all.contains("Java 17+"), all);
            }
            if (platform.startsWith("darwin")) {
                assertTrue(all.contains("launchctl bootstrap system") && !all.contains("launchctl load"), all);
            }
        }
        assertTrue(compared >= 15, "compared " + compared + " steps");
    }

    private static String normalize(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    private static void assertNoHorizontalOverflow(String page) {
        long scroll = ((Number) js("return document.documentElement.scrollWidth;")).longValue();
        long inner = ((Number) js("return document.documentElement.clientWidth;")).longValue();
        assertTrue(scroll <= inner, page + " is " + scroll + " px wide in a " + inner + " px window");
        @SuppressWarnings("unchecked")
        List<String> outside = (List<String>) js("""
                const w = document.documentElement.clientWidth;
                return [...document.querySelectorAll('main button, main a.button, main input, main select')]
                  .filter((el) => el.offsetParent !== null)
                  .filter((el) => { const r = el.getBoundingClientRect(); return r.right > w + 0.5 || r.left < -0.5; })
                  .map((el) => el.outerHTML.slice(0, 120));""");
        assertEquals(List.of(), outside, page + ": controls outside the window");
    }

    @Test
    void auditLogAndAgentsFitAt1280AndStayUsableAt800() {
        try {
            for (int width : new int[] {1280, 800}) {
                browser.driver().manage().window().setSize(new Dimension(width, 900));
                browser.open("/audit");
                browser.awaitPage("Audit log");
                browser.visible("audit-table");
                for (WebElement toggle : browser.findAll(testId("audit-toggle")).subList(0, 2)) {
                    toggle.click(); // the before/after JSON of long values stays inside the page too
                }
                assertNoHorizontalOverflow("audit log at " + width);

                browser.open("/agents");
                browser.awaitPage("Agents");
                browser.visible("agent-row-" + agentId);
                assertNoHorizontalOverflow("agents at " + width);
                WebElement update = browser.visible("update-now-" + agentId);
                assertTrue(update.isDisplayed() && update.getRect().getWidth() > 40, "the row's buttons are whole");

                // the navigation stays reachable and the content keeps most of the width
                WebElement nav = browser.visible("nav-audit");
                assertTrue(nav.getRect().getX() + nav.getRect().getWidth() <= width, "navigation inside the window");
                long mainWidth = ((Number) js("return document.getElementById('main').getBoundingClientRect().width;")).longValue();
                assertTrue(mainWidth >= width * 0.7, "content " + mainWidth + " px of " + width);
            }
        } finally {
            browser.driver().manage().window().setSize(new Dimension(1400, 1000));
        }
    }

    @Test
    void theDashboardIsTheLandingPage() {
        browser.open("/");
        browser.awaitPage("Dashboard");
        assertEquals("page", browser.visible("nav-dashboard").getAttribute("aria-current"));
        assertFalse(browser.findAll(testId("dashboard")).isEmpty());
    }
}
