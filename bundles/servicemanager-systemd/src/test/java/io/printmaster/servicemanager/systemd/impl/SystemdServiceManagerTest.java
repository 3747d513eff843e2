package io.printmaster.servicemanager.systemd.impl;

import io.printmaster.api.support.CommandRunner;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd manager against a fake {@code systemctl} that records its arguments and answers like the real one
 * (systemctl(1): {@code is-active} prints one state word and exits 3 unless active; {@code show --property=} prints
 * {@code Key=value}; a failed job prints systemd's own message on stderr and exits 1 or 5).
 */
class SystemdServiceManagerTest {
    /** is-active prints the state file; show prints the load state file; start/stop/restart write the state. */
    private static final String SYSTEMCTL = """
            case "$1" in
              is-active) cat "$DIR/state"; [ "$(cat "$DIR/state")" = active ] || exit 3 ;;
              show) echo "LoadState=$(cat "$DIR/load")" ;;
              --no-ask-password)
                case "$2" in
                  start|restart) echo active > "$DIR/state" ;;
                  stop) echo inactive > "$DIR/state" ;;
                esac ;;
            esac
            """;

    @TempDir
    Path temp;

    private SystemdServiceManager manager(FakeTool fake) throws Exception {
        return new SystemdServiceManager(List.of(fake.dir), Files.createDirectories(temp.resolve("run-systemd")),
                Duration.ofSeconds(5));
    }

    @Test
    void mapsEveryStateSystemctlPrints() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", SYSTEMCTL);
        fake.state("load", "loaded");
        SystemdServiceManager m = manager(fake);
        for (var c : List.of(List.of("active", "running"), List.of("reloading", "running"),
                List.of("activating", "starting"), List.of("deactivating", "stopping"), List.of("failed", "failed"),
                List.of("inactive", "stopped"))) {
            fake.state("state", c.get(0) + "\n");
            assertEquals(c.get(1), m.status("printmaster-agent").wireName(), c.get(0));
        }
        fake.state("state", "inactive\n");
        fake.state("load", "not-found");
        assertEquals(ServiceStatus.NOT_INSTALLED, m.status("printmaster-agent"));
        assertTrue(fake.calls().contains("is-active printmaster-agent.service"), fake.calls().toString());
        assertTrue(fake.calls().contains("show --property=LoadState printmaster-agent.service"),
                fake.calls().toString());
    }

    @Test
    void startStopAndRestartIssueSystemctlAndWaitForTheState() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", SYSTEMCTL);
        fake.state("load", "loaded");
        fake.state("state", "inactive");
        SystemdServiceManager m = manager(fake);

        m.start("printmaster-agent", Duration.ofSeconds(5));
        assertEquals(ServiceStatus.RUNNING, m.status("printmaster-agent"));
        m.restart("printmaster-agent.service", Duration.ofSeconds(5));
        m.stop("printmaster-agent", Duration.ofSeconds(5));
        assertEquals(ServiceStatus.STOPPED, m.status("printmaster-agent"));
        m.stop("printmaster-agent", Duration.ofSeconds(5)); // stopping a stopped unit does nothing

        List<String> verbs = fake.calls().stream().filter(c -> c.startsWith("--no-ask-password")).toList();
        assertEquals(List.of("--no-ask-password start printmaster-agent.service",
                "--no-ask-password restart printmaster-agent.service",
                "--no-ask-password stop printmaster-agent.service"), verbs);
    }

    @Test
    void theUnitThisProcessRunsInRestartsByExitingForSystemdToStartItAgain() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", SYSTEMCTL);
        fake.state("load", "loaded");
        fake.state("state", "active");
        Path cgroup = Files.writeString(temp.resolve("cgroup"), "0::/system.slice/printmaster-agent.service\n");
        java.util.concurrent.CompletableFuture<Integer> exited = new java.util.concurrent.CompletableFuture<>();
        SystemdServiceManager m = new SystemdServiceManager(List.of(fake.dir),
                Files.createDirectories(temp.resolve("run-systemd")), Duration.ofSeconds(5), cgroup, exited::complete);

        m.restart("printmaster-agent", Duration.ofSeconds(5));
        assertEquals(SystemdServiceManager.EXIT_RESTART, exited.get(10, java.util.concurrent.TimeUnit.SECONDS),
                "the exit code the unit's RestartForceExitStatus names");
        assertEquals(List.of(), fake.calls().stream().filter(c -> c.contains("restart")).toList(),
                "no systemctl restart: an unprivileged agent may not, and it would kill the caller mid-call");

        // another unit is restarted through systemctl as before
        m.restart("cups", Duration.ofSeconds(5));
        assertTrue(fake.calls().contains("--no-ask-password restart cups.service"), fake.calls().toString());
    }

    @Test
    void aFailedStartNamesTheCommandAndSystemdsWords() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", """
                case "$1" in
                  is-active) echo inactive; exit 3 ;;
                  show) echo LoadState=loaded ;;
                  *) echo "Job for printmaster-agent.service failed because the control process exited with error code." >&2
                     echo "See \\"systemctl status printmaster-agent.service\\" and \\"journalctl -xeu printmaster-agent.service\\" for details." >&2
                     exit 1 ;;
                esac
                """);
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start("printmaster-agent", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("systemctl --no-ask-password start printmaster-agent.service"),
                e.getMessage());
        assertTrue(e.getMessage().contains("exited with 1"), e.getMessage());
        assertTrue(e.getMessage().contains("control process exited with error code"), e.getMessage());
    }

    @Test
    void aUnitThatFailsAfterStartingIsReported() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", """
                case "$1" in
                  is-active) cat "$DIR/state"; exit 3 ;;
                  show) echo LoadState=loaded ;;
                  --no-ask-password) echo failed > "$DIR/state" ;;
                esac
                """);
        fake.state("state", "inactive");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start("printmaster-agent", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("did not start: it is failed"), e.getMessage());
    }

    @Test
    void unknownOutputIsAnErrorNamingTheCommandAndTheOutput() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", "echo 'Failed to connect to bus: No such file or directory'; exit 1");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).status("printmaster-agent"));
        assertTrue(e.getMessage().contains("systemctl is-active printmaster-agent.service"), e.getMessage());
        assertTrue(e.getMessage().contains("Failed to connect to bus"), e.getMessage());
    }

    @Test
    void aHangingSystemctlIsKilledAtTheTimeout() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", """
                case "$1" in
                  is-active) echo inactive; exit 3 ;;
                  show) echo LoadState=loaded ;;
                  *) sleep 60 ;;
                esac
                """);
        long t0 = System.nanoTime();
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start("printmaster-agent", Duration.ofMillis(1500)));
        long took = Duration.ofNanos(System.nanoTime() - t0).toMillis();
        assertTrue(took < 10_000, "returned after " + took + " ms");
        assertTrue(e.getMessage().contains("did not finish within"), e.getMessage());
        assertTrue(e.getMessage().contains("start printmaster-agent.service"), e.getMessage());
    }

    @Test
    void rejectsNamesSystemctlWouldReadAsOptions() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", SYSTEMCTL);
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).stop("--all", Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("service:"), e.getMessage());
        assertEquals(List.of(), fake.calls());
    }

    @Test
    void detectsOnlyWithTheSystemdMarkerAndSystemctl() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "systemctl", SYSTEMCTL);
        assertTrue(manager(fake).detect());
        assertFalse(new SystemdServiceManager(List.of(fake.dir), temp.resolve("no-such-dir"), Duration.ofSeconds(1))
                .detect(), "no /run/systemd/system: not systemd");
        assertFalse(new SystemdServiceManager(List.of(temp.resolve("empty")), Files.createDirectories(
                temp.resolve("run2")), Duration.ofSeconds(1)).detect(), "no systemctl");
        assertEquals(Files.isDirectory(Path.of("/run/systemd/system")) && new CommandRunner(
                CommandRunner.systemPath()).find("systemctl").isPresent(), new SystemdServiceManager().detect());
    }
}
