package io.printmaster.server.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.launcher.LaunchOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseOptionTest {

    @Test
    void theFlagWinsOverTheEnvironmentAndLeavesTheRestAlone() {
        var fromFlag = DatabaseOption.extract(new String[] {"--port", "0", "--database", "postgresql://pm:pw@db:5433/pm"},
                Map.of("PM_DATABASE_URL", "postgresql://other@elsewhere/x"));
        assertEquals("postgresql://pm:pw@db:5433/pm", fromFlag.value());
        assertEquals(List.of("--port", "0"), List.of(fromFlag.rest()));
        assertEquals("postgresql://other@elsewhere/x",
                DatabaseOption.extract(new String[0], Map.of("PM_DATABASE_URL", "postgresql://other@elsewhere/x")).value());
        assertEquals("postgresql://pm@[::1]:5432/pm?sslmode=require",
                DatabaseOption.extract(new String[] {"--database=postgresql://pm@[::1]:5432/pm?sslmode=require"}, Map.of())
                        .value());
        assertNull(DatabaseOption.extract(new String[0], Map.of()).value(), "absent: embedded Derby");
        assertNull(DatabaseOption.extract(new String[0], Map.of("PM_DATABASE_URL", " ")).value());
    }

    @Test
    void percentEncodedCredentialsAreAccepted() {
        DatabaseOption.check("postgresql://p%40m:s%3Acret%25@db.example:5432/printmaster");
    }

    @Test
    void aMalformedUrlIsRefusedNamingWhatIsWrongButNeverThePassword() {
        Map<String, String> cases = Map.of(
                "mysql://pm:hunter2@db/pm", "must start with postgresql://",
                "postgresql://db:5432/pm", "names no user",
                "postgresql://pm:hunter2@db:5432", "names no database",
                "postgresql://pm:hunter2@db:99999/pm", "port must be a number from 1 to 65535",
                "postgresql://pm:hunter2@db:port/pm", "port must be a number",
                "postgresql://:hunter2@db/pm", "empty user name",
                "postgresql://pm:hunter2@db/", "database name is empty",
                "postgresql://pm:hun%zter2@db/pm", "password holds a '%' not followed by two hex digits",
                "postgresql://pm:hunter2@db/pm?sslmode", "name=value");
        cases.forEach((url, expected) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DatabaseOption.extract(new String[] {"--database", url}, Map.of()), url);
            assertTrue(e.getMessage().contains(expected), url + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("hun%zter2"),
                    "never the password: " + e.getMessage());
            assertTrue(e.getMessage().contains("--database"), "names the option: " + e.getMessage());
        });
    }

    @Test
    void theServerFlagsTurnTheUrlIntoTheFrameworkPropertyAndRefuseAMalformedOne() throws Exception {
        var flags = new ServerMain.ServerFlags();
        flags.consume(new String[] {"--database", "postgresql://pm:pw@db/pm"}, Map.of());
        assertThrows(LaunchOptions.UsageException.class,
                () -> new ServerMain.ServerFlags().consume(new String[] {"--database", "postgres://x"}, Map.of()));
        assertEquals(List.of("--port", "1"), List.of(flags.strip(new String[] {"--database", "bad", "--port", "1"})));
        assertTrue(flags.usage().contains("--database URL") && flags.usage().contains("PM_DATABASE_URL"));
    }

    @Test
    void theLauncherExitsWithCodeTwoOnAMalformedUrl(@TempDir Path data) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(),
                "--data-dir", data.toString(), "--port", "0", "--database", "postgresql://pm:hunter2@db:70000/pm")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher ends");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.contains("port must be a number from 1 to 65535"), output);
        assertFalse(output.contains("hunter2"), output);
    }
}
