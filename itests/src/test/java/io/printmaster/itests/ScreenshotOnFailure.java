package io.printmaster.itests;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Saves what the browser showed when a browser test failed, to target/screenshots/FAILED-<test>.png. */
final class ScreenshotOnFailure implements TestWatcher {
    private final Supplier<Browser> browser;

    ScreenshotOnFailure(Supplier<Browser> browser) {
        this.browser = browser;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Browser b = browser.get();
        if (b == null) {
            return;
        }
        try {
            String name = "FAILED-" + context.getRequiredTestMethod().getName();
            System.err.println("browser test failed at " + b.driver().getCurrentUrl() + "; screenshot: " + b.screenshot(name));
        } catch (RuntimeException e) {
            System.err.println("no screenshot of the failure: " + e);
        }
    }
}
