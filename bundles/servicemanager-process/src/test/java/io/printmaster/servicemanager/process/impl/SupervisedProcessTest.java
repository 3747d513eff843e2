package io.printmaster.servicemanager.process.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Under {@code bin/pm-agent --supervise} (PM_SUPERVISED=1) the configured service is this very process. */
class SupervisedProcessTest {
    private static final String SERVICE = "printmaster-agent";

    /** What the manager asked the JVM to do: the exit code and the thread that asked. */
    record Exit(int code, String thread, boolean daemon) {
    }

    private final BlockingQueue<Exit> exits = new ArrayBlockingQueue<>(4);

    private ProcessServiceManager manager(Map<String, String> env, String command) {
        return new ProcessServiceManager(ProcessServiceManagerTest.config(SERVICE, command, "", ""), env::get,
                code -> exits.add(new Exit(code, Thread.currentThread().getName(), Thread.currentThread().isDaemon())));
    }

    private Exit nextExit() throws InterruptedException {
        Exit e = exits.poll(5, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("the manager did not end the JVM");
        }
        return e;
    }

    @Test
    void theSupervisedAgentIsRunningAndStartIsANoOp() throws Exception {
        ProcessServiceManager m = manager(Map.of("PM_SUPERVISED", "1"), "");
        assertEquals(ServiceStatus.RUNNING, m.status(SERVICE), "no command configured: still this process");
        m.start(SERVICE, Duration.ofSeconds(1));
        assertEquals(ServiceStatus.RUNNING, m.status(SERVICE));
        assertTrue(m.pid(SERVICE).isEmpty(), "nothing was started");
        assertTrue(exits.isEmpty());
        assertEquals(ServiceStatus.NOT_INSTALLED, m.status("other-service"), "only the configured service is this process");
    }

    @Test
    void aRestartExitsWith75OnItsOwnNonDaemonThreadAndReturnsAtOnce() throws Exception {
        ProcessServiceManager m = manager(Map.of("PM_SUPERVISED", "1"), "");
        m.restart(SERVICE, Duration.ofSeconds(30));
        assertEquals(new Exit(75, "pm-supervised-restart", false), nextExit());
    }

    @Test
    void aStopExitsWith0() throws Exception {
        ProcessServiceManager m = manager(Map.of("PM_SUPERVISED", "1"), "/bin/sh -c 'exec sleep 60'");
        m.stop(SERVICE, Duration.ofSeconds(30));
        Exit e = nextExit();
        assertEquals(0, e.code());
        assertFalse(e.daemon());
    }

    @Test
    void withoutTheSupervisorNothingChanges() throws Exception {
        for (Map<String, String> env : java.util.List.of(Map.<String, String>of(), Map.of("PM_SUPERVISED", "0"))) {
            ProcessServiceManager m = manager(env, "");
            assertEquals(ServiceStatus.NOT_INSTALLED, m.status(SERVICE));
            assertThrows(ServiceManagerException.class, () -> m.restart(SERVICE, Duration.ofSeconds(1)));
            assertThrows(ServiceManagerException.class, () -> m.stop(SERVICE, Duration.ofSeconds(1)));
        }
        assertTrue(exits.isEmpty(), "never ends the JVM unsupervised");
    }
}
