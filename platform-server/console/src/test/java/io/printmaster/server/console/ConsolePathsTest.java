package io.printmaster.server.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConsolePathsTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "/login", "/fleets", "/fleets/lab", "/fleets/lab/policy", "/audit", "/some/unknown/page"})
    void pagesWithoutAFileExtensionAreTheConsoleIndex(String path) {
        assertInstanceOf(ConsolePaths.Page.class, ConsolePaths.resolve(path));
    }

    @Test
    void pathsWithAnExtensionNameAPackedFile() {
        assertEquals(new ConsolePaths.Asset("js/app.js"), ConsolePaths.resolve("/js/app.js"));
        assertEquals(new ConsolePaths.Asset("console.css"), ConsolePaths.resolve("/console.css"));
        assertEquals(new ConsolePaths.Asset("js/views/policy.js"), ConsolePaths.resolve("/js/views/policy.js"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../secret.txt", "/js/../../etc/passwd.txt", "/.hidden.js", "/js/.x.js", "//js/app.js",
            "/js//app.js", "/js/app%2ejs.js", "/js\\app.js", "/api/v1/unknown", "/api", "/api/x.json", "/metrics", "/metrics/"})
    void traversalOddNamesAndApiPathsAreNotFound(String path) {
        assertInstanceOf(ConsolePaths.NotFound.class, ConsolePaths.resolve(path));
    }
}
