package io.printmaster.server.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int answer(String... args) {
        return ServerMain.answerInfoRequest(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpPrintsTheServersUsageOnStandardOutput() {
        assertEquals(0, answer("--help"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("usage: pm server"), text);
        assertTrue(text.contains("default 8080"), text);
        assertTrue(text.contains("--bind ADDR"), "the server may listen beyond loopback: " + text);
        assertTrue(text.contains("--master-key-file FILE"), "the master key is kept apart from the data folder: " + text);
        assertTrue(text.contains("--tls-cert FILE") && text.contains("--tls-key FILE") && text.contains("--tls self-signed")
                && text.contains("PM_TLS_CERT"), "the help lists the TLS options: " + text);
        assertTrue(text.contains("--trusted-proxies") && text.contains("PM_TRUSTED_PROXIES"), text);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionPrintsTheVersionOfTheHome(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("VERSION"), "2.0.1\n");
        assertEquals(0, answer("--version", "--home", home.toString(), "--tls", "self-signed"));
        assertEquals("PrintMaster server 2.0.1" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionOfAVersionSlotIsTheProgramDirectorysAsBinPmServerPassesIt(@TempDir Path root) throws Exception {
        // bin/pm-server runs a slot as: ServerMain --home R --program-dir R/versions/<v> --data-dir R/data <flags>
        Files.writeString(root.resolve("VERSION"), "1.0.0\n");
        Path slot = Files.createDirectories(root.resolve("versions/1.1.0"));
        Files.writeString(slot.resolve("VERSION"), "1.1.0\n");
        assertEquals(0, answer("--home", root.toString(), "--program-dir", slot.toString(), "--data-dir",
                root.resolve("data").toString(), "--port", "0", "--version"));
        assertEquals("PrintMaster server 1.1.0" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void trustedProxiesComeFromTheFlagOrElseTheEnvironmentAndLeaveTheRestAlone() {
        var fromFlag = TrustedProxiesOption.extract(new String[] {"--port", "0", "--trusted-proxies", "10.0.0.0/8"},
                java.util.Map.of("PM_TRUSTED_PROXIES", "192.0.2.1"));
        assertEquals("10.0.0.0/8", fromFlag.value());
        assertEquals(java.util.List.of("--port", "0"), java.util.List.of(fromFlag.rest()));
        assertEquals("192.0.2.1", TrustedProxiesOption.extract(new String[0], java.util.Map.of("PM_TRUSTED_PROXIES", "192.0.2.1")).value());
        assertEquals("::1", TrustedProxiesOption.extract(new String[] {"--trusted-proxies=::1"}, java.util.Map.of()).value());
        assertEquals(null, TrustedProxiesOption.extract(new String[0], java.util.Map.of()).value());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrustedProxiesOption.extract(new String[] {"--trusted-proxies"}, java.util.Map.of()));
    }
}
