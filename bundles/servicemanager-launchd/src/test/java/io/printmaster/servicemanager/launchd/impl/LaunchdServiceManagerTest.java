package io.printmaster.servicemanager.launchd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchd manager against a fake {@code launchctl} that answers {@code print system/<label>} in launchctl's
 * format ({@code system/<label> = { … state = running … last exit code = 0 … }}) while the daemon is loaded, and
 * {@code Could not find service "<label>" in domain for system} with exit code 113 once it is booted out.
 */
class LaunchdServiceManagerTest {
    private static final String LABEL = "io.printmaster.agent";
    private static final String LAUNCHCTL = """
            case "$1" in
              print)
                if [ ! -f "$DIR/loaded" ]; then
                  echo "Could not find service \\"${2#system/}\\" in domain for system" >&2; exit 113
                fi
                printf '%s = {\\n\\tactive count = 1\\n\\tpath = /Library/LaunchDaemons/%s.plist\\n' "$2" "${2#system/}"
                printf '\\ttype = LaunchDaemon\\n\\tstate = %s\\n\\n\\tprogram = /opt/printmaster/bin/pm-agent\\n' "$(cat "$DIR/state")"
                printf '\\tdomain = system\\n\\tusername = root\\n\\truns = 3\\n\\tpid = 4242\\n'
                printf '\\tlast exit code = %s\\n\\n\\tproperties = keepalive | runatload | inferred program\\n}\\n' "$(cat "$DIR/exit" 2>/dev/null || echo '(never exited)')"
                ;;
              bootstrap) touch "$DIR/loaded"; echo running > "$DIR/state" ;;
              kickstart) echo running > "$DIR/state" ;;
              bootout) rm -f "$DIR/loaded" ;;
            esac
            """;

    @TempDir
    Path temp;
    Path daemons;

    @BeforeEach
    void plist() throws Exception {
        daemons = Files.createDirectories(temp.resolve("LaunchDaemons"));
        Files.writeString(daemons.resolve(LABEL + ".plist"), "<plist version=\"1.0\"><dict/></plist>");
    }

    private LaunchdServiceManager manager(FakeTool fake) {
        return new LaunchdServiceManager(List.of(fake.dir), "Mac OS X", daemons, Duration.ofSeconds(5));
    }

    @Test
    void mapsTheStatesLaunchctlPrints() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL);
        fake.state("loaded", "");
        LaunchdServiceManager m = manager(fake);
        for (var c : List.of(List.of("running", "running"), List.of("spawn scheduled", "starting"),
                List.of("not running", "stopped"), List.of("waiting", "stopped"))) {
            fake.state("state", c.get(0));
            assertEquals(c.get(1), m.status(LABEL).wireName(), c.get(0));
        }
        fake.state("state", "not running");
        fake.state("exit", "78: Function not implemented");
        assertEquals(ServiceStatus.FAILED, m.status(LABEL));
        fake.state("exit", "0");
        assertEquals(ServiceStatus.STOPPED, m.status(LABEL));

        Files.delete(fake.dir.resolve("loaded"));
        assertEquals(ServiceStatus.STOPPED, m.status(LABEL), "booted out, plist installed");
        Files.delete(daemons.resolve(LABEL + ".plist"));
        assertEquals(ServiceStatus.NOT_INSTALLED, m.status(LABEL));
        assertTrue(fake.calls().stream().allMatch(c -> c.equals("print system/" + LABEL)), fake.calls().toString());
    }

    @Test
    void stopBootsOutStartBootstrapsAndKickstartsRestartKicksWithKill() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL);
        fake.state("loaded", "");
        fake.state("state", "running");
        LaunchdServiceManager m = manager(fake);

        m.restart(LABEL, Duration.ofSeconds(5));
        m.stop(LABEL, Duration.ofSeconds(5));
        assertEquals(ServiceStatus.STOPPED, m.status(LABEL));
        m.stop(LABEL, Duration.ofSeconds(5)); // stopped already: nothing to do
        m.start(LABEL, Duration.ofSeconds(5));
        assertEquals(ServiceStatus.RUNNING, m.status(LABEL));
        m.start(LABEL, Duration.ofSeconds(5)); // running already: nothing to do

        List<String> controls = fake.calls().stream().filter(c -> !c.startsWith("print")).toList();
        assertEquals(List.of("kickstart -k system/" + LABEL, "bootout system/" + LABEL,
                "bootstrap system " + daemons.resolve(LABEL + ".plist"), "kickstart system/" + LABEL), controls);
    }

    @Test
    void aRefusedCommandNamesItAndLaunchctlsWords() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL.replace(
                "kickstart) echo running > \"$DIR/state\" ;;",
                "kickstart) echo 'Could not kickstart service \"'${3#system/}'\": 1: Operation not permitted' >&2; exit 1 ;;"));
        fake.state("loaded", "");
        fake.state("state", "running");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).restart(LABEL, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("`launchctl kickstart -k system/" + LABEL + "` exited with 1"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Operation not permitted"), e.getMessage());
    }

    @Test
    void startingAnUninstalledDaemonSaysWhatIsMissing() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL);
        Files.delete(daemons.resolve(LABEL + ".plist"));
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start(LABEL, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains(LABEL + ".plist does not exist"), e.getMessage());
    }

    @Test
    void unknownOutputIsAnErrorNamingTheCommandAndTheOutput() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", "echo 'Bad request.'; exit 1");
        ServiceManagerException e = assertThrows(ServiceManagerException.class, () -> manager(fake).status(LABEL));
        assertTrue(e.getMessage().contains("launchctl print system/" + LABEL), e.getMessage());
        assertTrue(e.getMessage().contains("Bad request."), e.getMessage());
    }

    @Test
    void aHangingLaunchctlIsKilledAtTheTimeout() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", "sleep 60");
        long t0 = System.nanoTime();
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).stop(LABEL, Duration.ofMillis(800)));
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).toMillis() < 10_000);
        assertTrue(e.getMessage().contains("did not finish within"), e.getMessage());
    }

    @Test
    void rejectsLabelsLaunchctlWouldReadAsOptions() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL);
        assertThrows(ServiceManagerException.class, () -> manager(fake).status("-k"));
        assertThrows(ServiceManagerException.class, () -> manager(fake).status("a/../b"));
        assertEquals(List.of(), fake.calls());
    }

    @Test
    void detectsOnlyOnAMacWithLaunchctl() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "launchctl", LAUNCHCTL);
        assertTrue(manager(fake).detect());
        assertFalse(new LaunchdServiceManager(List.of(fake.dir), "Linux", daemons, Duration.ofSeconds(1)).detect());
        assertFalse(new LaunchdServiceManager(List.of(temp), "Mac OS X", daemons, Duration.ofSeconds(1)).detect());
        if (!System.getProperty("os.name").startsWith("Mac")) {
            assertFalse(new LaunchdServiceManager().detect(), "this test runs on " + System.getProperty("os.name"));
        }
    }
}
