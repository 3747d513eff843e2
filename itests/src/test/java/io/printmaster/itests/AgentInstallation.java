package io.printmaster.itests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An agent installed from an installer archive the way users install it ({@code tar -xzf}), and run as real
 * processes: {@code R/bin/pm-agent --supervise --port P} (contract L: the supervisor restarts the agent through the
 * trampoline, so version slots are chosen again at every start), or plainly (no supervisor) with extra environment
 * such as {@code PM_AGENT_CRASH_AT}. Each start runs in its own session and process group ({@code setsid}), so
 * {@link #kill} and {@link #close} end the supervisor, the agent JVM and anything they started, and nothing else on
 * this machine. All output of every start is appended to one log file under {@code target/agent-logs/}.
 */
final class AgentInstallation implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    static final String ENROLLMENT_CFG = "io.printmaster.agent.enrollment.cfg";
    static final String WORKER_CFG = "io.printmaster.agent.worker.cfg";

    private final Path root;
    private final int port;
    private final Path log;
    private final List<Process> started = new ArrayList<>();
    private Process process;

    private AgentInstallation(Path root, int port, Path log) {
        this.root = root;
        this.port = port;
        this.log = log;
    }

    /**
     * Unpacks an installer tar.gz with {@code tar} into {@code into} and returns its single top-level folder (the
     * install root).
     */
    static Path unpack(Path installer, Path into) throws Exception {
        Files.createDirectories(into);
        Tools.run(List.of("tar", "-xzf", installer.toString(), "-C", into.toString()));
        try (Stream<Path> top = Files.list(into)) {
            List<Path> folders = top.toList();
            if (folders.size() != 1 || !Files.isDirectory(folders.get(0))) {
                throw new AssertionError("an installer holds one top-level folder: " + folders);
            }
            return folders.get(0);
        }
    }

    /** Unpacks {@code installer} into {@code into}; the agent will listen on a free loopback port. */
    static AgentInstallation install(Path installer, Path into, String name) throws Exception {
        Path root = unpack(installer, into);
        Path logDir = Files.createDirectories(ServerProcess.outputDir().resolve("agent-logs"));
        Path log = logDir.resolve(name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");
        return new AgentInstallation(root, ServerProcess.freePort(), log);
    }

    Path root() {
        return root;
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    Path dataDir() {
        return root.resolve("data");
    }

    Path versions() {
        return root.resolve("versions");
    }

    /**
     * Check-ins every {@code seconds} ({@code R/data/etc/io.printmaster.agent.enrollment.cfg}, read by FileInstall;
     * the agent accepts 10 and more), so commands queued on the server arrive within seconds.
     */
    void checkInEvery(int seconds) throws IOException {
        Path etc = Files.createDirectories(dataDir().resolve("etc"));
        Files.writeString(etc.resolve(ENROLLMENT_CFG), "checkin_interval_seconds=" + seconds + "\n");
    }

    /**
     * The update worker's configuration ({@code R/data/etc/io.printmaster.agent.worker.cfg}, PID
     * {@code io.printmaster.agent.worker}, read by FileInstall), one {@code key=value} line each, e.g.
     * {@code health_timeout_seconds=20}. Written before the start, so the worker starts with it.
     */
    void workerConfig(Map<String, String> properties) throws IOException {
        Path etc = Files.createDirectories(dataDir().resolve("etc"));
        StringBuilder text = new StringBuilder();
        new java.util.TreeMap<>(properties).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(etc.resolve(WORKER_CFG), text);
    }

    /** {@code R/bin/pm-agent --supervise --port P}. */
    void startSupervised() throws IOException {
        start(List.of("--supervise"), Map.of());
    }

    /** {@code R/bin/pm-agent --port P} with {@code extraEnv} (such as {@code PM_AGENT_CRASH_AT=download}). */
    void startPlain(Map<String, String> extraEnv) throws IOException {
        start(List.of(), extraEnv);
    }

    private void start(List<String> flags, Map<String, String> extraEnv) throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the agent of " + root + " is still running (pid " + process.pid() + ")");
        }
        List<String> command = new ArrayList<>(List.of("setsid", root.resolve("bin/pm-agent").toString()));
        command.addAll(flags);
        command.addAll(List.of("--port", Integer.toString(port)));
        Files.writeString(log, "\n==== " + Instant.now() + " start: " + String.join(" ", command) + " " + extraEnv + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // only what this test chooses: a developer's own PM_* settings must not leak into the agent under test
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(extraEnv);
        process = builder.start();
        started.add(process);
    }

    Process process() {
        return process;
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Waits for the started process to end on its own; its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the agent (pid " + process.pid() + ") did not exit within " + timeout.toSeconds()
                    + " s\n" + logTail());
        }
        return process.exitValue();
    }

    /** SIGTERM to the started process (the supervisor forwards it to the agent), then waits for it to end. */
    int stop() throws Exception {
        if (process == null) {
            return -1;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            killGroup(process);
            throw new AssertionError("the agent did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM\n" + logTail());
        }
        // whatever the supervisor started must have ended with it
        killGroup(process);
        return process.exitValue();
    }

    /** SIGKILL to the whole process group: supervisor, agent JVM and anything they started. */
    void kill() throws Exception {
        if (process != null) {
            killGroup(process);
            process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
                p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            killGroup(p);
        }
    }

    /**
     * SIGKILL to every process of the group {@code setsid} made for a start (its id is that start's pid), found in
     * {@code /proc}: no tool needed, and nothing outside the group is touched.
     */
    private static void killGroup(Process p) throws Exception {
        for (long pid : groupMembers(p.pid())) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static List<Long> groupMembers(long pgid) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String stat = Files.readString(proc.resolve("stat"));
                    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Long.parseLong(fields[2]) == pgid) {
                        out.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked
                }
            }
        }
        return out;
    }

    /** {@code GET /api/autoupdate/status} of the running agent. */
    JsonNode status() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/autoupdate/status"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("agent status: HTTP " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** {@code POST /api/autoupdate/<action>} ({@code check} or {@code force}) from a local tool. */
    HttpResponse<String> trigger(String action) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/autoupdate/" + action))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code R/versions/<name>} as one trimmed line ({@code current}, {@code trial}, …); empty when absent. */
    Optional<String> slotFile(String name) throws IOException {
        Path f = versions().resolve(name);
        return Files.isRegularFile(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
    }

    /** Names in {@code R/versions/} (empty when the folder does not exist yet). */
    List<String> versionEntries() throws IOException {
        if (!Files.isDirectory(versions())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(versions())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Files in {@code R/data/update/downloads/}. */
    List<String> downloads() throws IOException {
        Path d = dataDir().resolve("update/downloads");
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * The process id of the running agent JVM (the {@code AgentMain} java process under the started process: with
     * {@code --supervise} a child of the supervisor); empty while none runs. A hot swap keeps it, a restart changes it.
     */
    Optional<Long> agentPid() {
        return agentJvm().map(ProcessHandle::pid);
    }

    /** The live {@code AgentMain} java process among the started process and its descendants. */
    private Optional<ProcessHandle> agentJvm() {
        if (process == null) {
            return Optional.empty();
        }
        List<ProcessHandle> candidates = new ArrayList<>();
        candidates.add(process.toHandle());
        process.descendants().forEach(candidates::add);
        return candidates.stream().filter(h -> h.isAlive() && h.info().arguments().map(List::of).orElse(List.of())
                .contains("io.printmaster.agent.launcher.AgentMain")).findFirst();
    }

    /**
     * What the hot-swap engine records as running ({@code R/data/update/installed-bundles.json}): symbolic name →
     * sha256 of the bytes it runs.
     */
    Map<String, String> installedBundles() throws IOException {
        Path f = dataDir().resolve("update/installed-bundles.json");
        if (!Files.isRegularFile(f)) {
            throw new AssertionError("no " + f);
        }
        Map<String, String> out = new java.util.TreeMap<>();
        JSON.readTree(f.toFile()).path("bundles").fields()
                .forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("sha256").asText()));
        return out;
    }

    /** {@code R/data/update/<name>} as text, for failure messages; "(absent)" when there is none. */
    String updateFile(String name) {
        try {
            Path f = dataDir().resolve("update").resolve(name);
            return Files.isRegularFile(f) ? Files.readString(f) : "(absent)";
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /**
     * The {@code VERSION} of the program the running agent JVM was started from: its {@code --program-dir} (contract
     * L), else its {@code --home}. Empty while no agent JVM runs under the started process.
     */
    Optional<String> runningProgramVersion() throws IOException {
        Optional<List<String>> args = agentJvm().flatMap(h -> h.info().arguments()).map(List::of);
        if (args.isEmpty()) {
            return Optional.empty();
        }
        List<String> a = args.get();
        int i = a.indexOf("--program-dir");
        if (i < 0) {
            i = a.indexOf("--home");
        }
        if (i >= 0 && i + 1 < a.size()) {
            return Optional.of(Files.readString(Path.of(a.get(i + 1)).resolve("VERSION")).strip());
        }
        return Optional.empty();
    }

    /**
     * A thread dump of the running agent JVM ({@code jstack} of the test's own JDK) written next to the log, for
     * failure messages about an agent that stopped doing anything; the file's path, or why there is none.
     */
    String threadDump() {
        try {
            List<ProcessHandle> all = new ArrayList<>();
            if (process != null) {
                all.add(process.toHandle());
                process.descendants().forEach(all::add);
            }
            for (ProcessHandle h : all) {
                List<String> args = h.info().arguments().map(List::of).orElse(List.of());
                if (h.isAlive() && args.contains("io.printmaster.agent.launcher.AgentMain")) {
                    Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
                    Path out = log.resolveSibling(log.getFileName().toString().replace(".log", "")
                            + "-jstack-" + System.currentTimeMillis() + ".txt");
                    Process p = new ProcessBuilder(jstack.toString(), Long.toString(h.pid())).redirectErrorStream(true)
                            .redirectOutput(out.toFile()).start();
                    p.waitFor(30, TimeUnit.SECONDS);
                    return "thread dump of the agent JVM " + h.pid() + ": " + out;
                }
            }
            return "(no running agent JVM to dump)";
        } catch (Exception e) {
            return "(no thread dump: " + e + ")";
        }
    }

    /** The end of this installation's log, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return "--- last lines of " + log + " ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
