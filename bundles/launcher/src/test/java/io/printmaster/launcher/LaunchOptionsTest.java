package io.printmaster.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchOptionsTest {
    private static final Path HOME = Path.of("/opt/pm");

    private static LaunchOptions server(Map<String, String> env, String... args) throws Exception {
        return LaunchOptions.parse("server", 8080, true, args, env, HOME);
    }

    @Test
    void defaultsAreLoopbackPort8080AndVarServer() throws Exception {
        LaunchOptions o = server(Map.of());
        assertEquals(8080, o.port());
        assertEquals("127.0.0.1", o.bind());
        assertEquals(Path.of("var/server").toAbsolutePath().normalize(), o.dataDir());
        assertEquals("info", o.logLevel());
    }

    @Test
    void flagsWinOverEnvironment() throws Exception {
        Map<String, String> env = Map.of("PM_PORT", "9000", "PM_DATA_DIR", "/tmp/from-env", "PM_BIND", "0.0.0.0");
        assertEquals(9000, server(env).port());
        assertEquals("0.0.0.0", server(env).bind());
        LaunchOptions o = server(env, "--port", "9100", "--data-dir=/tmp/flag", "--bind", "10.0.0.5", "--log-level", "DEBUG");
        assertEquals(9100, o.port());
        assertEquals(Path.of("/tmp/flag"), o.dataDir());
        assertEquals("10.0.0.5", o.bind());
        assertEquals("debug", o.logLevel());
    }

    @Test
    void badInputNamesTheOption() {
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--port", "http")).getMessage().contains("--port"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--port", "70000")).getMessage().contains("65535"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of("PM_LOG_LEVEL", "loud"))).getMessage().contains("PM_LOG_LEVEL"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--frobnicate")).getMessage().contains("unknown option"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--port")).getMessage().contains("needs a value"));
    }

    @Test
    void theAgentNeverListensBeyondLoopback() throws Exception {
        assertThrows(LaunchOptions.UsageException.class, () -> LaunchOptions.parse("agent", 8181, false, new String[] {"--bind", "0.0.0.0"}, Map.of(), HOME));
        assertThrows(LaunchOptions.UsageException.class, () -> LaunchOptions.parse("agent", 8181, false, new String[0], Map.of("PM_BIND", "0.0.0.0"), HOME));
        assertEquals("127.0.0.1", LaunchOptions.parse("agent", 8181, false, new String[0], Map.of(), HOME).bind());
    }

    @Test
    void theProgramDirDefaultsToTheHome() throws Exception {
        LaunchOptions o = server(Map.of());
        assertEquals(HOME.toAbsolutePath().normalize(), o.home());
        assertEquals(o.home(), o.programDir());
        LaunchOptions moved = server(Map.of(), "--home", "/srv/pm");
        assertEquals(Path.of("/srv/pm").toAbsolutePath().normalize(), moved.programDir());
    }

    @Test
    void aVersionSlotRunsFromItsProgramDirWithTheRootAsHome() throws Exception {
        LaunchOptions o = LaunchOptions.parse("agent", 8181, false,
                new String[] {"--home", "/opt/agent", "--program-dir", "/opt/agent/versions/1.2.3/", "--data-dir", "/opt/agent/data"},
                Map.of(), HOME);
        assertEquals(Path.of("/opt/agent").toAbsolutePath().normalize(), o.home());
        assertEquals(Path.of("/opt/agent/versions/1.2.3").toAbsolutePath().normalize(), o.programDir());
        assertEquals(Path.of("/opt/agent/data").toAbsolutePath().normalize(), o.dataDir());
        assertEquals(Path.of("/x/y").toAbsolutePath().normalize(), server(Map.of(), "--program-dir=/x/y/../y").programDir());
    }

    @Test
    void anEmptyOrMissingProgramDirIsRefused() {
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--program-dir")).getMessage().contains("--program-dir needs a value"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--program-dir=")).getMessage().contains("--program-dir must not be empty"));
    }

    @Test
    void theUsageNamesTheProgramDir() {
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--help")).getMessage().contains("--program-dir"));
    }

    @Test
    void theMasterKeyFileComesFromTheFlagOrElseTheEnvironment() throws Exception {
        assertNull(server(Map.of()).masterKeyFile(), "unset: the secret box uses its default beside the data folder");
        Map<String, String> env = Map.of("PM_MASTER_KEY_FILE", "/etc/printmaster/env.key");
        assertEquals(Path.of("/etc/printmaster/env.key"), server(env).masterKeyFile());
        assertEquals(Path.of("/vault/flag.key"), server(env, "--master-key-file", "/vault/flag.key").masterKeyFile());
        assertEquals(Path.of("/vault/flag.key"), server(env, "--master-key-file=/vault/x/../flag.key").masterKeyFile());
        assertEquals(Path.of("/a.key"), LaunchOptions.parse("agent", 8181, false, new String[] {"--master-key-file", "/a.key"},
                Map.of(), HOME).masterKeyFile(), "the agent takes it too");
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--master-key-file=")).getMessage()
                .contains("--master-key-file must not be empty"));
        assertTrue(assertThrows(LaunchOptions.UsageException.class, () -> server(Map.of(), "--master-key-file")).getMessage()
                .contains("--master-key-file needs a value"));
    }

    @Test
    void theUsageNamesTheMasterKeyOptions() {
        String usage = LaunchOptions.usage("server", 8080, true);
        assertTrue(usage.contains("--master-key-file FILE"), usage);
        assertTrue(usage.contains("PM_MASTER_KEY_FILE"), usage);
        assertTrue(usage.contains("PM_MASTER_KEY="), usage);
    }
}
