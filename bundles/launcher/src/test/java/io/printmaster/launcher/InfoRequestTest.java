package io.printmaster.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfoRequestTest {
    @TempDir
    Path home;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int answer(String... args) {
        return FelixLauncher.answerInfoRequest("server", 8080, true, args, Map.of(), home,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpGoesToStandardOutputAndExitsZero() {
        for (String flag : new String[] {"--help", "-h"}) {
            out.reset();
            assertEquals(0, answer("--port", "9000", flag), flag);
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("usage: pm server"), text);
            assertTrue(text.contains("--version"), "the help lists --version: " + text);
            assertEquals("", err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void versionPrintsTheProgramsVersionAndExitsZero() throws Exception {
        Files.writeString(home.resolve("VERSION"), "1.4.2\n");
        assertEquals(0, answer("--version"));
        assertEquals("PrintMaster server 1.4.2" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));

        Path slot = Files.createDirectories(home.resolve("versions/1.5.0"));
        Files.writeString(slot.resolve("VERSION"), "1.5.0\n");
        out.reset();
        assertEquals(0, answer("-V", "--program-dir", slot.toString()));
        assertEquals("PrintMaster server 1.5.0" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8),
                "the version of the program tree that would run");
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionBesideAnUnusableOptionIsAUsageError() {
        assertEquals(2, answer("--version", "--frobnicate"));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option '--frobnicate'"));
    }

    @Test
    void otherArgumentsRunTheContainer() {
        assertEquals(FelixLauncher.RUN, answer("--port", "0", "--data-dir", "x"));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }
}
