package io.printmaster.servicemanager.process.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process manager against real child processes started through /bin/sh. */
class ProcessServiceManagerTest {
    private static final String SERVICE = "printmaster-agent";

    @TempDir
    Path temp;
    ProcessServiceManager manager;

    @AfterEach
    void stopChildren() {
        if (manager != null) {
            manager.deactivate();
        }
    }

    private ProcessServiceManager manager(String command) {
        manager = new ProcessServiceManager(config(SERVICE, command, temp.toString(),
                temp.resolve("logs/service.log").toString()));
        return manager;
    }

    @Test
    void startsStopsAndRestartsASupervisedProcess() throws Exception {
        ProcessServiceManager m = manager("/bin/sh -c 'echo started in $(pwd); exec sleep 60'");
        assertEquals(ServiceStatus.STOPPED, m.status(SERVICE), "configured, never started");

        m.start(SERVICE, Duration.ofSeconds(5));
        assertEquals(ServiceStatus.RUNNING, m.status(SERVICE));
        long first = m.pid(SERVICE).orElseThrow();
        assertTrue(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false));
        m.start(SERVICE, Duration.ofSeconds(5)); // running already: the same process
        assertEquals(first, m.pid(SERVICE).orElseThrow());

        m.restart(SERVICE, Duration.ofSeconds(10));
        assertEquals(ServiceStatus.RUNNING, m.status(SERVICE));
        long second = m.pid(SERVICE).orElseThrow();
        assertNotEquals(first, second, "a restart runs a new process");
        assertTrue(ProcessHandle.of(first).map(h -> !h.isAlive()).orElse(true), "the first process is gone");

        long t0 = System.nanoTime();
        m.stop(SERVICE, Duration.ofSeconds(5));
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(5)) < 0,
                "sleep ends on SIGTERM, well within the timeout");
        assertEquals(ServiceStatus.STOPPED, m.status(SERVICE), "stopped by us: not a failure");
        m.stop(SERVICE, Duration.ofSeconds(5)); // stopped already: nothing to do

        String log = Files.readString(temp.resolve("logs/service.log"));
        String started = "started in " + temp.toRealPath();
        assertEquals(2, log.lines().filter(started::equals).count(), log);
    }

    @Test
    void aShellAndItsChildAreBothStopped() throws Exception {
        // no exec: the shell waits for its sleep, which must not outlive the service
        ProcessServiceManager m = manager("/bin/sh -c 'sleep 60; echo never'");
        m.start(SERVICE, Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(m.pid(SERVICE).orElseThrow())
                .map(h -> h.descendants().findAny().isPresent() || !h.info().command().orElse("").endsWith("sh"))
                .orElse(false));
        List<ProcessHandle> tree = ProcessHandle.of(m.pid(SERVICE).orElseThrow()).orElseThrow().descendants().toList();
        m.stop(SERVICE, Duration.ofSeconds(5));
        assertEquals(ServiceStatus.STOPPED, m.status(SERVICE));
        await().atMost(Duration.ofSeconds(5)).until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void aProcessIgnoringSigtermIsKilledAfterTheTimeout() throws Exception {
        // an ignored signal stays ignored across exec: sleep ignores SIGTERM too
        ProcessServiceManager m = manager("/bin/sh -c \"trap '' TERM; exec sleep 60\"");
        m.start(SERVICE, Duration.ofSeconds(5));
        long t0 = System.nanoTime();
        m.stop(SERVICE, Duration.ofMillis(700));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofMillis(700)) >= 0, "waited the timeout first: " + took);
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "then killed it: " + took);
        assertEquals(ServiceStatus.STOPPED, m.status(SERVICE));
        assertEquals(OptionalInt.of(137), m.exitCode(SERVICE), "SIGKILL");
    }

    @Test
    void aCommandThatExitsAtOnceIsReportedWithItsExitCode() throws Exception {
        ProcessServiceManager m = manager("/bin/sh -c 'echo cannot open port >&2; exit 3'");
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> m.start(SERVICE, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("exited at once with code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("service.log"), e.getMessage());
        assertEquals(ServiceStatus.FAILED, m.status(SERVICE));
        assertEquals(OptionalInt.of(3), m.exitCode(SERVICE));
        assertTrue(Files.readString(temp.resolve("logs/service.log")).contains("cannot open port"));

        ProcessServiceManager clean = new ProcessServiceManager(config(SERVICE, "/bin/sh -c 'exit 0'", "", ""));
        assertThrows(ServiceManagerException.class, () -> clean.start(SERVICE, Duration.ofSeconds(5)));
        assertEquals(ServiceStatus.STOPPED, clean.status(SERVICE), "exit code 0 is a stop, not a failure");
    }

    @Test
    void aProcessThatCrashesLaterIsFailed() throws Exception {
        // runs past start's check for an immediate exit, then crashes
        ProcessServiceManager m = manager("/bin/sh -c 'sleep 1; exit 7'");
        m.start(SERVICE, Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> m.status(SERVICE) == ServiceStatus.FAILED);
        assertEquals(OptionalInt.of(7), m.exitCode(SERVICE));
        m.start(SERVICE, Duration.ofSeconds(5)); // a failed service can be started again
        assertEquals(ServiceStatus.RUNNING, m.status(SERVICE));
    }

    @Test
    void withoutACommandOrForAnotherNameTheServiceIsNotInstalled() throws Exception {
        ProcessServiceManager none = new ProcessServiceManager(config(SERVICE, "", "", ""));
        assertEquals(ServiceStatus.NOT_INSTALLED, none.status(SERVICE));
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> none.start(SERVICE, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("no command is configured"), e.getMessage());
        assertTrue(e.getMessage().contains(ProcessServiceManager.PID), e.getMessage());

        ProcessServiceManager m = manager("/bin/sh -c 'exec sleep 60'");
        assertEquals(ServiceStatus.NOT_INSTALLED, m.status("other"));
        assertThrows(ServiceManagerException.class, () -> m.stop("other", Duration.ofSeconds(1)));
    }

    @Test
    void badConfigurationIsNamed() throws Exception {
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> manager("/bin/sh -c 'sleep 60").start(SERVICE, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("command: unclosed '"), e.getMessage());
        ProcessServiceManager m = new ProcessServiceManager(config(SERVICE, "/bin/true",
                temp.resolve("missing").toString(), ""));
        e = assertThrows(ServiceManagerException.class, () -> m.start(SERVICE, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("workingDirectory:"), e.getMessage());
        e = assertThrows(ServiceManagerException.class, () -> new ProcessServiceManager(config(SERVICE,
                temp.resolve("no-such-program").toString(), "", "")).start(SERVICE, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("command:"), e.getMessage());
    }

    @Test
    void splitsCommandLinesLikeAShellWouldForQuotes() throws Exception {
        assertEquals(List.of("/bin/sh", "-c", "sleep 60; echo 'x'"),
                ProcessServiceManager.commandLine("  /bin/sh -c \"sleep 60; echo 'x'\" "));
        assertEquals(List.of("a", "b c", ""), ProcessServiceManager.commandLine("a 'b c' ''"));
    }

    @Test
    void detectsEverywhere() {
        assertTrue(manager("").detect());
        assertEquals("process", manager.name());
    }

    static ProcessServiceManager.Config config(String service, String command, String dir, String log) {
        return new ProcessServiceManager.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ProcessServiceManager.Config.class;
            }

            @Override
            public String service() {
                return service;
            }

            @Override
            public String command() {
                return command;
            }

            @Override
            public String workingDirectory() {
                return dir;
            }

            @Override
            public String logFile() {
                return log;
            }
        };
    }
}
