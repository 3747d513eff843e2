package io.printmaster.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian chromium driven through Debian's chromium-driver, both given by path: Selenium Manager is never
 * asked for a browser or a driver. Small helpers keep the tests readable: by test id, waits on conditions (never
 * sleeps), form filling, screenshots.
 */
final class Browser implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Path userDataDir;
    private final WebDriver driver;
    private final URI base;

    Browser(URI base) throws IOException {
        this.base = base;
        Path chromium = Path.of(System.getProperty("pm.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("pm.chromedriver", "/usr/bin/chromedriver"));
        for (Path p : List.of(chromium, chromedriver)) {
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(p + " is missing: browser tests need Debian's chromium and chromium-driver "
                        + "(apt-get install -y chromium chromium-driver), or set -Dpm.chromium / -Dpm.chromedriver");
            }
        }
        // an explicit driver path means Selenium never runs Selenium Manager to look for one
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
        userDataDir = Files.createTempDirectory("pm-chromium-");
        Path logs = ServerProcess.outputDir().resolve("browser");
        Files.createDirectories(logs);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--user-data-dir=" + userDataDir, "--window-size=1400,1000", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .withLogFile(logs.resolve("chromedriver.log").toFile())
                .build();
        driver = new ChromeDriver(service, options);
    }

    WebDriver driver() {
        return driver;
    }

    void open(String path) {
        driver.get(base.resolve(path).toString());
    }

    static By testId(String id) {
        return By.cssSelector("[data-testid=\"" + id + "\"]");
    }

    WebElement find(By by) {
        return driver.findElement(by);
    }

    List<WebElement> findAll(By by) {
        return driver.findElements(by);
    }

    <T> T until(ExpectedCondition<T> condition) {
        return new WebDriverWait(driver, WAIT).until(condition);
    }

    WebElement visible(By by) {
        return until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    WebElement visible(String testId) {
        return visible(testId(testId));
    }

    /** Waits until the element shows text containing {@code text}; returns it. */
    WebElement withText(By by, String text) {
        until(ExpectedConditions.textToBePresentInElementLocated(by, text));
        return find(by);
    }

    void click(By by) {
        until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    void click(String testId) {
        click(testId(testId));
    }

    void type(By by, String text) {
        WebElement input = visible(by);
        input.clear();
        input.sendKeys(text);
    }

    void typeById(String id, String text) {
        type(By.id(id), text);
    }

    void check(String id, boolean checked) {
        WebElement box = find(By.id(id));
        if (box.isSelected() != checked) {
            // the label is what a user clicks; it also works for boxes styled inside their label
            box.click();
        }
    }

    void select(String id, String value) {
        new Select(visible(By.id(id))).selectByValue(value);
    }

    String value(String id) {
        return find(By.id(id)).getDomProperty("value");
    }

    boolean checked(String id) {
        return find(By.id(id)).isSelected();
    }

    /** The page's title heading once it reads {@code title}. */
    void awaitPage(String title) {
        withText(testId("page-title"), title);
    }

    Path screenshot(String name) {
        try {
            Path dir = ServerProcess.outputDir().resolve("screenshots");
            Files.createDirectories(dir);
            Path target = dir.resolve(name + ".png");
            Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(userDataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temp folder left behind is harmless
            }
        }
    }
}
