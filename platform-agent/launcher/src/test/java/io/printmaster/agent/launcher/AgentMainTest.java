package io.printmaster.agent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int answer(String... args) {
        return AgentMain.answerInfoRequest(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpPrintsTheAgentsUsageOnStandardOutput() {
        assertEquals(0, answer("--help"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("usage: pm agent"), text);
        assertTrue(text.contains("default 8181"), text);
        assertFalse(text.contains("--bind"), "the agent listens on loopback only, no --bind: " + text);
        assertTrue(text.contains("--master-key-file FILE"), "the agent's credential key is kept apart too: " + text);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionPrintsTheVersionOfTheHome(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("VERSION"), "2.0.1\n");
        assertEquals(0, answer("--version", "--home", home.toString()));
        assertEquals("PrintMaster agent 2.0.1" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    }
}
