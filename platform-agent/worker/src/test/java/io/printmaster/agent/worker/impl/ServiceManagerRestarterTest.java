package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the agent restarts itself: exit code 75 under a supervisor, the service manager that runs it otherwise, and
 * {@code RESTART_FAILED} naming what to set up when nothing would start it again.
 */
class ServiceManagerRestarterTest {

    /** A service system as the restarter sees it, recording what it was asked. */
    static final class RecordingManager implements ServiceManager {
        final String name;
        final boolean detected;
        final ServiceStatus status;
        final String refusal;
        final List<String> calls = new CopyOnWriteArrayList<>();

        RecordingManager(String name, boolean detected, ServiceStatus status, String refusal) {
            this.name = name;
            this.detected = detected;
            this.status = status;
            this.refusal = refusal;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean detect() {
            calls.add("detect");
            return detected;
        }

        @Override
        public ServiceStatus status(String service) {
            calls.add("status " + service);
            return status;
        }

        @Override
        public void start(String service, Duration timeout) {
            calls.add("start " + service);
        }

        @Override
        public void stop(String service, Duration timeout) {
            calls.add("stop " + service);
        }

        @Override
        public void restart(String service, Duration timeout) throws ServiceManagerException {
            calls.add("restart " + service);
            if (refusal != null) {
                throw new ServiceManagerException(refusal);
            }
        }
    }

    @Test
    void underASupervisorTheAgentExitsWith75AndAsksNoServiceManager() throws Exception {
        RecordingManager windows = new RecordingManager("windows", true, ServiceStatus.RUNNING, null);
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        CompletableFuture<Thread> exitThread = new CompletableFuture<>();
        ServiceManagerRestarter restarter = new ServiceManagerRestarter(() -> List.of(windows), Optional.empty(), true,
                code -> {
                    exitThread.complete(Thread.currentThread());
                    exitCode.complete(code);
                });

        restarter.snapshot().restart(); // returns at once: the exit runs on its own thread

        assertEquals(75, exitCode.get(10, TimeUnit.SECONDS));
        Thread t = exitThread.get();
        assertTrue(t != Thread.currentThread() && !t.isDaemon(), "the exit runs on its own non-daemon thread: " + t);
        assertEquals(List.of(), windows.calls, "no sc stop/start from inside the service");
    }

    @Test
    void withoutASupervisorTheManagerThatRunsTheAgentRestartsIt() throws Exception {
        RecordingManager launchd = new RecordingManager("launchd", false, ServiceStatus.RUNNING, null);
        RecordingManager systemd = new RecordingManager("systemd", true, ServiceStatus.RUNNING, null);
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        new ServiceManagerRestarter(() -> List.of(launchd, systemd), Optional.empty(), false, exitCode::complete)
                .restart();
        assertEquals(List.of("detect"), launchd.calls);
        assertEquals(List.of("detect", "status printmaster-agent", "restart printmaster-agent"), systemd.calls);
        assertTrue(!exitCode.isDone(), "the restarter itself did not exit");
    }

    @Test
    void aManagerThatCannotRestartFromInsideStopsTheUpdateWithItsReason() {
        RecordingManager windows = new RecordingManager("windows", true, ServiceStatus.RUNNING,
                "cannot restart the service PrintMasterAgent from inside it: set them with: sc.exe failure ...");
        UpdateFailure f = assertThrows(UpdateFailure.class, () -> new ServiceManagerRestarter(() -> List.of(windows),
                Optional.empty(), false, code -> { }).restart());
        assertEquals("RESTART_FAILED", f.code());
        assertTrue(f.getMessage().startsWith("windows could not restart PrintMasterAgent: cannot restart the service "
                + "PrintMasterAgent from inside it"), f.getMessage());
    }

    @Test
    void whenNothingWouldStartItAgainTheUpdateStopsSayingWhatToSetUp() {
        RecordingManager systemd = new RecordingManager("systemd", true, ServiceStatus.NOT_INSTALLED, null);
        RecordingManager process = new RecordingManager("process", true, ServiceStatus.STOPPED, null);
        UpdateFailure f = assertThrows(UpdateFailure.class, () -> new ServiceManagerRestarter(
                () -> List.of(systemd, process), Optional.of("pm-agent-test"), false, code -> { }).restart());
        assertEquals("RESTART_FAILED", f.code());
        assertTrue(f.getMessage().contains("PM_SUPERVISED is not 1"), f.getMessage());
        assertTrue(f.getMessage().contains("systemd: service pm-agent-test is not_installed; process: service "
                + "pm-agent-test is stopped"), f.getMessage());
        assertTrue(f.getMessage().contains("bin/pm-agent --supervise"), f.getMessage());
        assertEquals(List.of("detect", "status pm-agent-test"), systemd.calls, "nothing was restarted");
    }
}
