package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REAL {@code bin/pm-agent} of the built distribution (run by /bin/sh, dash on Debian): version slot selection
 * ({@code versions/current}, {@code trial} → {@code booting} → {@code abandoned}), dispatch to a slot's own script,
 * and the {@code --supervise} loop. Java is a fake {@code bin/java} script that records its arguments and environment
 * and exits with the code given for that run; one test starts the real agent from a slot.
 */
class AgentLaunchSlotsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;
    /** The install root R: a copy of the built distribution. */
    Path root;
    /** Where the fake java writes run-N.txt and reads its exit codes (codes: line N for run N; "wait" = until killed). */
    Path state;
    Path fakeJavaHome;

    @BeforeEach
    void install() throws IOException {
        Path dist = Path.of(System.getProperty("pm.agent.dist", "../platform-agent/distribution/target/printmaster-agent"));
        assertTrue(Files.isExecutable(dist.resolve("bin/pm-agent")), "the agent distribution is not built: " + dist);
        root = work.toRealPath().resolve("R"); // as the script sees it (pwd -P)
        copyTree(dist, root, List.of("bin", "conf", "VERSION"));
        state = Files.createDirectories(work.resolve("state"));
        fakeJavaHome = work.resolve("fake-jdk");
        Path java = Files.createDirectories(fakeJavaHome.resolve("bin")).resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                state='%s'
                n=$(cat "$state/count" 2>/dev/null || echo 0)
                n=$((n + 1))
                echo "$n" > "$state/count"
                {
                  echo "PM_AGENT_ROOT=${PM_AGENT_ROOT-<unset>}"
                  echo "PM_SUPERVISED=${PM_SUPERVISED-<unset>}"
                  echo "versions=$(cd '%s/versions' 2>/dev/null && ls | tr '\\n' ' ')"
                  for a in "$@"; do echo "arg=$a"; done
                } > "$state/run-$n.tmp"
                mv "$state/run-$n.tmp" "$state/run-$n.txt"
                code=$(sed -n "${n}p" "$state/codes" 2>/dev/null)
                if [ "$code" = wait ]; then exec sleep 300; fi
                exit "${code:-0}"
                """.formatted(state, root));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    // ------------------------------------------------------------------------------------------------ slot selection

    @Test
    void withoutVersionsTheBaseInstallRuns() throws Exception {
        Started agent = start("--port", "0");
        assertEquals(0, agent.waitForExit());
        Run run = run(1);
        assertEquals(List.of("--home", root.toString(), "--program-dir", root.toString(), "--data-dir",
                root.resolve("data").toString(), "--port", "0"), run.agentArgs());
        assertTrue(run.args().contains(root + "/lib/*"), "the classpath is the program's lib/: " + run.args());
        assertEquals("<unset>", run.env("PM_AGENT_ROOT"));
        assertEquals("<unset>", run.env("PM_SUPERVISED"));
    }

    @Test
    void theCurrentVersionRunsFromItsSlotWithTheRootAsHome() throws Exception {
        Path slot = slot("1.2.3");
        current("1.2.3");
        Started agent = start("--data-dir", work.resolve("elsewhere").toString());
        assertEquals(0, agent.waitForExit());
        Run run = run(1);
        assertEquals(List.of("--home", root.toString(), "--program-dir", slot.toString(), "--data-dir",
                work.resolve("elsewhere").toString()), run.agentArgs(), "a given --data-dir is kept, no default added");
        assertTrue(run.args().contains(slot + "/lib/*"), run.args().toString());
        assertEquals(root.toString(), run.env("PM_AGENT_ROOT"));
    }

    @Test
    void aTrialBootsOnceAndIsAbandonedWhenItNeverCommits() throws Exception {
        slot("1.2.3");
        Path trial = slot("2.0.0");
        current("1.2.3");
        Files.writeString(root.resolve("versions/trial"), "2.0.0\n");

        Started first = start();
        assertEquals(0, first.waitForExit());
        Run run = run(1);
        assertEquals(trial.toString(), run.programDir());
        assertEquals("1.2.3 2.0.0 booting current", run.env("versions"), "trial renamed to booting while it runs");
        assertEquals("2.0.0", slotFile("booting"));
        assertFalse(Files.exists(root.resolve("versions/trial")));
        assertTrue(first.stderr().contains("booting version 2.0.0 as a trial"), first.stderr());

        // the trial never committed (no current = 2.0.0, booting still there): the next start rolls back
        Started second = start();
        assertEquals(0, second.waitForExit());
        assertEquals(root.resolve("versions/1.2.3").toString(), run(2).programDir());
        assertEquals("2.0.0", slotFile("abandoned"));
        assertFalse(Files.exists(root.resolve("versions/booting")));
        assertTrue(second.stderr().contains("did not commit"), second.stderr());
    }

    @Test
    void aCommittedTrialBecomesCurrent() throws Exception {
        slot("1.2.3");
        Path next = slot("2.0.0");
        current("1.2.3");
        Files.writeString(root.resolve("versions/trial"), "2.0.0");
        assertEquals(0, start().waitForExit());
        // what the new version's worker does after its health check
        current("2.0.0");
        Files.delete(root.resolve("versions/booting"));
        assertEquals(0, start().waitForExit());
        assertEquals(next.toString(), run(2).programDir());
        assertFalse(Files.exists(root.resolve("versions/abandoned")));
    }

    @Test
    void anAbandonedTrialWithoutCurrentFallsBackToTheBase() throws Exception {
        slot("2.0.0");
        Files.createDirectories(root.resolve("versions"));
        Files.writeString(root.resolve("versions/booting"), "2.0.0\n");
        assertEquals(0, start().waitForExit());
        assertEquals(root.toString(), run(1).programDir());
        assertEquals("2.0.0", slotFile("abandoned"));
    }

    @Test
    void invalidOrMissingSlotsAreSkippedWithOneLine() throws Exception {
        Path good = slot("1.2.3");
        Path broken = slot("1.2.4");
        Files.setPosixFilePermissions(broken.resolve("bin/pm-agent"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.createDirectories(root.resolve("versions/.hidden/bin"));

        for (String invalid : List.of("../R", ".hidden", "1.2.3 extra", "/tmp", "9.9.9", "1.2.4", "")) {
            current(invalid);
            Started agent = start();
            assertEquals(0, agent.waitForExit());
            assertEquals(root.toString(), run(count()).programDir(), "current '" + invalid + "': the base install");
            assertEquals(1, agent.stderr().lines().filter(l -> l.contains("skipped")).count(), agent.stderr());
        }

        current("1.2.3");
        Files.writeString(root.resolve("versions/trial"), "bad/name");
        Started agent = start();
        assertEquals(0, agent.waitForExit());
        assertEquals(good.toString(), run(count()).programDir(), "an invalid trial: current runs");
        assertTrue(agent.stderr().contains("versions/trial holds 'bad/name', not a version name: skipped"), agent.stderr());
        assertEquals("bad/name", slotFile("abandoned"), "a trial that cannot boot is a failed trial");
    }

    @Test
    void aSlotStartedDirectlyWithTheRootSetDoesNoSlotSelection() throws Exception {
        Path slot = slot("1.2.3");
        Files.writeString(root.resolve("versions/trial"), "1.2.3");
        ProcessBuilder builder = builder(slot.resolve("bin/pm-agent"));
        builder.environment().put("PM_AGENT_ROOT", root.toString());
        Path stderr = work.resolve("stderr-direct.txt");
        Started agent = new Started(builder.redirectErrorStream(true).redirectOutput(stderr.toFile()).start(), stderr);
        assertEquals(0, agent.waitForExit());
        assertEquals(slot.toString(), run(1).programDir());
        assertEquals(List.of("--home", root.toString(), "--program-dir", slot.toString(), "--data-dir",
                root.resolve("data").toString()), run(1).agentArgs());
        assertTrue(Files.exists(root.resolve("versions/trial")), "the slot's own script leaves the slot files alone");
    }

    // ---------------------------------------------------------------------------------------------------- supervisor

    @Test
    void theSupervisorRestartsOn75AndEndsOn0RunningSlotSelectionAtEachStart() throws Exception {
        slot("1.2.3");
        Path trial = slot("2.0.0");
        current("1.2.3");
        Files.writeString(root.resolve("versions/trial"), "2.0.0");
        codes("75", "0");

        Started supervisor = start("--supervise", "--port", "0");
        assertEquals(0, supervisor.waitForExit(), supervisor.stderr());
        assertEquals(2, count());
        // the trial asked for a restart without committing: the second start abandons it and runs current
        assertEquals(trial.toString(), run(1).programDir());
        assertEquals(root.resolve("versions/1.2.3").toString(), run(2).programDir());
        assertEquals("2.0.0", slotFile("abandoned"));
        for (int n = 1; n <= 2; n++) {
            assertEquals("1", run(n).env("PM_SUPERVISED"));
            assertFalse(run(n).args().contains("--supervise"), "the supervisor's own flag is not passed on");
            assertEquals(List.of("--port", "0"), run(n).agentArgs().subList(6, 8));
        }
    }

    @Test
    void theSupervisorRestartsACrashAndGivesUpAfterFiveWithinAMinute() throws Exception {
        codes("3", "3", "3", "3", "3", "3", "3");
        Started supervisor = start("--supervise");
        assertEquals(3, supervisor.waitForExit(), "the last code: " + supervisor.stderr());
        assertEquals(5, count(), "five starts, then it gave up");
        assertTrue(supervisor.stderr().contains("giving up"), supervisor.stderr());
    }

    @Test
    void theSupervisorPassesSigtermOnAndEndsWithTheAgent() throws Exception {
        codes("wait");
        Started supervisor = start("--supervise");
        Eventually.within(WAIT, () -> assertTrue(Files.exists(state.resolve("run-1.txt")), "the agent has not started"));
        List<ProcessHandle> agent = supervisor.process.descendants().toList();
        assertFalse(agent.isEmpty(), "the agent runs as the supervisor's child");
        supervisor.process.destroy(); // SIGTERM
        assertEquals(143, supervisor.waitForExit(), "ended by SIGTERM, passed on to the agent: " + supervisor.stderr());
        for (ProcessHandle h : agent) {
            assertTrue(h.onExit().get(10, TimeUnit.SECONDS) != null && !h.isAlive(), "the agent ended too");
        }
        assertEquals(1, count(), "no restart after a stop");
    }

    // ------------------------------------------------------------------------------------------ the real agent, a slot

    @Test
    void theRealAgentRunsTheSlotsProgramAndReportsItsVersion() throws Exception {
        Path dist = Path.of(System.getProperty("pm.agent.dist", "../platform-agent/distribution/target/printmaster-agent"));
        Path slot = root.resolve("versions/9.9.9-it");
        copyTree(dist, slot, List.of("bin", "conf", "lib", "bundle", "VERSION"));
        Files.writeString(slot.resolve("VERSION"), "9.9.9-it\n");
        current("9.9.9-it");

        Path log = work.resolve("real-agent.log");
        ProcessBuilder builder = builder(root.resolve("bin/pm-agent"), "--port", "0").redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process agent = builder.start();
        try {
            Eventually.within(Duration.ofSeconds(90), () -> {
                assertTrue(agent.isAlive(), "the agent exited: " + Files.readString(log));
                assertTrue(Files.readString(log).contains("PrintMaster agent started in"), "not started yet");
            });
            String out = Files.readString(log);
            assertTrue(out.contains("starting PrintMaster agent 9.9.9-it (data " + root.resolve("data") + ", home "
                    + root + ", program " + slot + ")"), out);
            assertTrue(Files.isDirectory(root.resolve("data/logs")), "the data folder is the root's");
        } finally {
            agent.destroy();
            if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------- helpers

    /** A version slot: a copy of the program's scripts and configuration with its own VERSION. */
    private Path slot(String version) throws IOException {
        Path slot = root.resolve("versions").resolve(version);
        copyTree(root, slot, List.of("bin", "conf"));
        Files.writeString(slot.resolve("VERSION"), version + "\n");
        return slot;
    }

    private void current(String version) throws IOException {
        Files.createDirectories(root.resolve("versions"));
        Files.writeString(root.resolve("versions/current"), version + "\n");
    }

    private String slotFile(String name) throws IOException {
        return Files.readString(root.resolve("versions").resolve(name)).strip();
    }

    private void codes(String... codes) throws IOException {
        Files.writeString(state.resolve("codes"), String.join("\n", codes) + "\n");
    }

    private int count() throws IOException {
        Path f = state.resolve("count");
        return Files.exists(f) ? Integer.parseInt(Files.readString(f).strip()) : 0;
    }

    private Run run(int n) throws IOException {
        Path f = state.resolve("run-" + n + ".txt");
        assertTrue(Files.exists(f), "java was not started a " + n + ". time");
        return new Run(Files.readAllLines(f));
    }

    private ProcessBuilder builder(Path script, String... args) {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        builder.environment().put("JAVA_HOME", fakeJavaHome.toString());
        return builder;
    }

    private int starts;

    private Started start(String... args) throws IOException {
        Path stderr = work.resolve("stderr-" + ++starts + ".txt");
        ProcessBuilder builder = builder(root.resolve("bin/pm-agent"), args).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile());
        return new Started(builder.start(), stderr);
    }

    /** A started script and where its stderr goes. */
    record Started(Process process, Path stderrFile) {
        int waitForExit() throws Exception {
            if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("pm-agent did not end within " + WAIT + ": " + stderr());
            }
            return process.exitValue();
        }

        String stderr() throws IOException {
            return Files.exists(stderrFile) ? Files.readString(stderrFile) : "";
        }
    }

    /** What the fake java saw. */
    record Run(List<String> lines) {
        String env(String name) {
            return lines.stream().filter(l -> l.startsWith(name + "=")).findFirst().map(l -> l.substring(name.length() + 1).strip())
                    .orElseThrow();
        }

        List<String> args() {
            return lines.stream().filter(l -> l.startsWith("arg=")).map(l -> l.substring(4)).toList();
        }

        /** The arguments after the main class. */
        List<String> agentArgs() {
            List<String> a = args();
            return a.subList(a.indexOf("io.printmaster.agent.launcher.AgentMain") + 1, a.size());
        }

        String programDir() {
            List<String> a = args();
            return a.get(a.indexOf("--program-dir") + 1);
        }
    }

    private static void copyTree(Path from, Path to, List<String> entries) throws IOException {
        for (String entry : entries) {
            Path source = from.resolve(entry);
            try (Stream<Path> files = Files.walk(source)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path target = to.resolve(entry).resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }
}
