package io.printmaster.servicemanager.windows.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Windows manager against a fake {@code sc.exe} answering in sc.exe's own format (Microsoft's sc.exe query /
 * start / stop documentation): a {@code SERVICE_NAME:} block with {@code STATE : 4  RUNNING}, exit codes as
 * {@code WIN32_EXIT_CODE : 0  (0x0)}, and errors as {@code [SC] OpenService FAILED 1060:} with sc.exe's exit code
 * equal to the error number. A started service is {@code START_PENDING} for two queries before it runs.
 */
class WindowsServiceManagerTest {
    private static final String SC = """
            block() {
              printf '\\r\\nSERVICE_NAME: %s \\r\\n        TYPE               : 10  WIN32_OWN_PROCESS  \\r\\n' "$2"
              printf '        STATE              : %s \\r\\n' "$(cat "$DIR/state")"
              printf '                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\\r\\n'
              printf '        WIN32_EXIT_CODE    : %s  (0x0)\\r\\n' "$(cat "$DIR/win32" 2>/dev/null || echo 0)"
              printf '        SERVICE_EXIT_CODE  : %s  (0x0)\\r\\n' "$(cat "$DIR/specific" 2>/dev/null || echo 0)"
              printf '        CHECKPOINT         : 0x0\\r\\n        WAIT_HINT          : 0x7d0\\r\\n'
              if [ "$1" = queryex ]; then
                printf '        PID                : %s\\r\\n        FLAGS              : \\r\\n' "$(cat "$DIR/pid" 2>/dev/null || echo 0)"
              fi
              printf '\\r\\n'
            }
            if [ ! -f "$DIR/state" ]; then
              printf '[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\\r\\n\\r\\nThe specified service does not exist as an installed service.\\r\\n\\r\\n'
              exit 1060
            fi
            case "$1" in
              queryex) block "$@" ;;
              query)
                case "$(cat "$DIR/state")" in
                  *PENDING) n=$(cat "$DIR/pending"); echo $((n - 1)) > "$DIR/pending"
                            if [ "$n" -le 0 ]; then cat "$DIR/then" > "$DIR/state"; fi ;;
                esac
                block "$@" ;;
              start)
                if [ "$(cat "$DIR/state")" = "4  RUNNING" ]; then
                  printf '[SC] StartService FAILED 1056:\\r\\n\\r\\nAn instance of the service is already running.\\r\\n\\r\\n'; exit 1056
                fi
                echo "2  START_PENDING" > "$DIR/state"; echo 2 > "$DIR/pending"; echo "4  RUNNING" > "$DIR/then"
                block "$@" ;;
              stop)
                if [ "$(cat "$DIR/state")" = "1  STOPPED" ]; then
                  printf '[SC] ControlService FAILED 1062:\\r\\n\\r\\nThe service has not been started.\\r\\n\\r\\n'; exit 1062
                fi
                echo "3  STOP_PENDING" > "$DIR/state"; echo 2 > "$DIR/pending"; echo "1  STOPPED" > "$DIR/then"
                block "$@" ;;
            esac
            """;

    @TempDir
    Path temp;

    private WindowsServiceManager manager(FakeTool fake) {
        return new WindowsServiceManager(List.of(fake.dir), "Windows Server 2022", Duration.ofSeconds(5));
    }

    @Test
    void mapsEveryStateTheControlManagerReports() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        WindowsServiceManager m = manager(fake);
        for (var c : List.of(List.of("4  RUNNING", "running"), List.of("1  STOPPED", "stopped"),
                List.of("7  PAUSED", "stopped"))) {
            fake.state("state", c.get(0));
            assertEquals(c.get(1), m.status("PrintMasterAgent").wireName(), c.get(0));
        }
        fake.state("pending", "99");
        for (var c : List.of(List.of("2  START_PENDING", "starting"), List.of("5  CONTINUE_PENDING", "starting"),
                List.of("3  STOP_PENDING", "stopping"), List.of("6  PAUSE_PENDING", "stopping"))) {
            fake.state("state", c.get(0));
            assertEquals(c.get(1), m.status("PrintMasterAgent").wireName(), c.get(0));
        }
        fake.state("state", "1  STOPPED");
        fake.state("win32", "1077"); // never started since boot: stopped, not failed
        assertEquals(ServiceStatus.STOPPED, m.status("PrintMasterAgent"));
        fake.state("win32", "1066"); // service-specific error, the service's own code
        fake.state("specific", "3");
        assertEquals(ServiceStatus.FAILED, m.status("PrintMasterAgent"));
        fake.state("specific", "0");
        assertEquals(ServiceStatus.STOPPED, m.status("PrintMasterAgent"));
        fake.state("win32", "1067"); // the process terminated unexpectedly
        assertEquals(ServiceStatus.FAILED, m.status("PrintMasterAgent"));
        assertTrue(fake.calls().stream().allMatch(c -> c.equals("query PrintMasterAgent")), fake.calls().toString());
    }

    @Test
    void aMissingServiceIsNotInstalled() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        assertEquals(ServiceStatus.NOT_INSTALLED, manager(fake).status("PrintMasterAgent"));
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start("PrintMasterAgent", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("sc.exe start PrintMasterAgent"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist as an installed service"), e.getMessage());
    }

    @Test
    void startStopAndRestartPollThroughThePendingStates() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        fake.state("state", "1  STOPPED");
        WindowsServiceManager m = manager(fake);

        m.start("PrintMasterAgent", Duration.ofSeconds(10));
        assertEquals(ServiceStatus.RUNNING, m.status("PrintMasterAgent"));
        m.start("PrintMasterAgent", Duration.ofSeconds(10)); // already running: nothing to do
        m.restart("PrintMasterAgent", Duration.ofSeconds(10));
        assertEquals(ServiceStatus.RUNNING, m.status("PrintMasterAgent"));
        m.stop("PrintMasterAgent", Duration.ofSeconds(10));
        assertEquals(ServiceStatus.STOPPED, m.status("PrintMasterAgent"));

        List<String> controls = fake.calls().stream().filter(c -> !c.startsWith("query")).toList();
        assertEquals(List.of("start PrintMasterAgent", "stop PrintMasterAgent", "start PrintMasterAgent",
                "stop PrintMasterAgent"), controls);
        assertTrue(fake.calls().size() > controls.size() + 8, "the pending states were polled: " + fake.calls());
    }

    @Test
    void theServiceThisProcessRunsInIsNeverStoppedFromInside() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        fake.state("state", "4  RUNNING");
        fake.state("pid", "4242"); // the service host, this JVM's parent
        WindowsServiceManager m = new WindowsServiceManager(List.of(fake.dir), "Windows Server 2022",
                Duration.ofSeconds(5), java.util.Set.of(77L, 4242L));
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> m.restart("PrintMasterAgent", Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("cannot restart the service PrintMasterAgent from inside it"), e.getMessage());
        assertTrue(e.getMessage().contains("sc.exe failure PrintMasterAgent reset= 86400 actions= "
                + "restart/5000/restart/5000/restart/60000"), e.getMessage());
        assertEquals(List.of("queryex PrintMasterAgent"), fake.calls(), "no stop was sent");
        assertEquals(ServiceStatus.RUNNING, m.status("PrintMasterAgent"));

        // another process's service: stopped and started as before
        fake.state("pid", "9000");
        m.restart("PrintMasterAgent", Duration.ofSeconds(10));
        assertEquals(List.of("stop PrintMasterAgent", "start PrintMasterAgent"),
                fake.calls().stream().filter(c -> c.startsWith("st")).toList());
    }

    @Test
    void aServiceStuckStartingTimesOut() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC.replace("echo 2 > \"$DIR/pending\"",
                "echo 100000 > \"$DIR/pending\""));
        fake.state("state", "1  STOPPED");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).start("PrintMasterAgent", Duration.ofMillis(1500)));
        assertTrue(e.getMessage().contains("did not start in time"), e.getMessage());
    }

    @Test
    void aHangingScExeIsKilledAtTheTimeout() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", "sleep 60");
        long t0 = System.nanoTime();
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> new WindowsServiceManager(List.of(fake.dir), "Windows 11", Duration.ofMillis(800))
                        .status("PrintMasterAgent"));
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).toMillis() < 10_000);
        assertTrue(e.getMessage().contains("`sc.exe query PrintMasterAgent` did not finish within"), e.getMessage());
    }

    @Test
    void accessDeniedAndUnknownOutputAreNamedErrors() throws Exception {
        FakeTool denied = new FakeTool(temp.resolve("denied"), "sc.exe",
                "printf '[SC] OpenService FAILED 5:\\r\\n\\r\\nAccess is denied.\\r\\n\\r\\n'; exit 5");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(denied).status("PrintMasterAgent"));
        assertTrue(e.getMessage().contains("sc.exe query PrintMasterAgent"), e.getMessage());
        assertTrue(e.getMessage().contains("Access is denied."), e.getMessage());

        FakeTool odd = new FakeTool(temp.resolve("odd"), "sc.exe", "echo 'DESCRIPTION: something else'");
        e = assertThrows(ServiceManagerException.class, () -> manager(odd).status("PrintMasterAgent"));
        assertTrue(e.getMessage().contains("DESCRIPTION: something else"), e.getMessage());
    }

    @Test
    void rejectsNamesScExeWouldReadAsAServer() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager(fake).status("\\\\host"));
        assertTrue(e.getMessage().startsWith("service:"), e.getMessage());
        assertEquals(List.of(), fake.calls());
    }

    @Test
    void detectsOnlyOnWindowsWithScExe() throws Exception {
        FakeTool fake = new FakeTool(temp.resolve("bin"), "sc.exe", SC);
        assertTrue(manager(fake).detect());
        assertFalse(new WindowsServiceManager(List.of(fake.dir), "Linux", Duration.ofSeconds(1)).detect());
        assertFalse(new WindowsServiceManager(List.of(temp), "Windows 11", Duration.ofSeconds(1)).detect());
        if (!System.getProperty("os.name").startsWith("Windows")) {
            assertFalse(new WindowsServiceManager().detect(), "this test runs on " + System.getProperty("os.name"));
        }
    }
}
