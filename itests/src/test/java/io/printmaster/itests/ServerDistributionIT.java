package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as users install it: its official linux-amd64 archive unpacked with the real {@code tar}, started with
 * its {@code bin/pm-server} (the launcher script shared with the agent, taking its role from its name), healthy on
 * {@code /api/v1/health}; and under {@code bin/pm-server --supervise}, where an exit with 75 (a requested restart)
 * starts it again at once through the trampoline, with {@code PM_SUPERVISED=1}.
 */
class ServerDistributionIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String PASSWORD = "server-distribution-it-password";

    @TempDir
    Path work;

    static Path releases() {
        Path dir = Path.of(System.getProperty("pm.server.releases", "../platform-server/distribution/target/releases"));
        assertTrue(Files.isRegularFile(dir.resolve("SHA256SUMS")), "the official server archives are not built: " + dir);
        return dir;
    }

    static String version() throws IOException {
        return Files.readString(Path.of(System.getProperty("pm.server.dist"), "VERSION")).strip();
    }

    /** Unpacks the linux-amd64 server archive into {@code into} with tar; returns the install root R. */
    static Path unpack(Path into) throws Exception {
        String version = version();
        Path archive = releases().resolve("printmaster-server-v" + version + "-linux-amd64.tar.gz");
        Files.createDirectories(into);
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString()).directory(into.toFile())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar failed: " + out);
        return into.resolve("printmaster-server-" + version).toRealPath();
    }

    @Test
    void theUnpackedArchiveRunsWithBinPmServerOnItsOwnDataFolder() throws Exception {
        Path root = unpack(work.resolve("opt"));
        assertTrue(Files.isExecutable(root.resolve("bin/pm-server")), "tar kept the 0755 mode");
        assertTrue(Files.isRegularFile(root.resolve("bin/pm-server.cmd")));
        assertTrue(Files.isRegularFile(root.resolve("service/printmaster-server.service")));
        assertFalse(Files.exists(root.resolve("agent-releases")), "the agent archives ship as their own release assets");
        assertFalse(Files.exists(root.resolve("bin/pm-agent")), "only the server's launcher");

        int port = freePort();
        Path log = work.resolve("server.log");
        Process server = builder(root.resolve("bin/pm-server"), Optional.empty(), "--port", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitHealthy(server, port, log);
            String out = Files.readString(log);
            assertTrue(out.contains("starting PrintMaster server " + version() + " (data " + root.resolve("data") + ", home "
                    + root + ")"), "ServerMain got --home R --program-dir R --data-dir R/data: " + out);
            assertTrue(Files.isRegularFile(root.resolve("data/logs/server.log")), "the default data folder is R/data");
            assertFalse(out.contains("did not start"), "every bundle of the archive starts: " + out);
            assertEquals("<unset>", environment(server, "PM_SUPERVISED"), "a plain start is not supervised");
            assertEquals("<unset>", environment(server, "PM_SERVER_ROOT"), "the base install runs without a slot");
        } finally {
            stop(server);
        }
        String out = Files.readString(log);
        // (the launcher's "stopped" line races the JVM's exit: the shutdown hook's lines are the clean stop's proof)
        assertTrue(out.contains("stopping PrintMaster server") && out.contains("store closed"), "SIGTERM stops it cleanly: " + out);
    }

    @Test
    void underTheSupervisorAnExitWith75RestartsTheServerThroughTheTrampoline() throws Exception {
        Path root = unpack(work.resolve("opt"));
        // a trial version slot, as a self-update stages it: a complete program tree with its own VERSION
        Path slot = unpack(work.resolve("staging")).getParent().resolve("9.9.9-it");
        Files.move(work.resolve("staging/printmaster-server-" + version()), slot);
        Files.createDirectories(root.resolve("versions"));
        Files.move(slot, root.resolve("versions/9.9.9-it"));
        Files.writeString(root.resolve("versions/9.9.9-it/VERSION"), "9.9.9-it\n");
        Files.writeString(root.resolve("versions/trial"), "9.9.9-it\n");

        // java for the test: the first start (the trial) records what it got and asks for a restart without
        // committing; every later start is the real JVM
        Path state = Files.createDirectories(work.resolve("state"));
        Path javaHome = work.resolve("jdk");
        Path java = Files.createDirectories(javaHome.resolve("bin")).resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                n=$(cat '%1$s/count' 2>/dev/null || echo 0)
                n=$((n + 1))
                echo "$n" > '%1$s/count'
                { echo "PM_SUPERVISED=${PM_SUPERVISED-<unset>}"; echo "PM_SERVER_ROOT=${PM_SERVER_ROOT-<unset>}"; \
                  for a in "$@"; do echo "arg=$a"; done; } > '%1$s/run-'$n'.txt'
                if [ "$n" = 1 ]; then exit 75; fi
                exec '%2$s' "$@"
                """.formatted(state, Path.of(System.getProperty("java.home"), "bin", "java")));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

        int port = freePort();
        Path log = work.resolve("supervised.log");
        Process supervisor = builder(root.resolve("bin/pm-server"), Optional.of(javaHome), "--supervise", "--port",
                Integer.toString(port)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitHealthy(supervisor, port, log);
            String out = Files.readString(log);
            assertTrue(out.contains("pm-server: booting version 9.9.9-it as a trial"), out);
            assertTrue(out.contains("pm-server: the server asked for a restart: restarting"), out);
            assertTrue(out.contains("pm-server: the trial of version 9.9.9-it did not commit: abandoned"), out);
            assertEquals("9.9.9-it", Files.readString(root.resolve("versions/abandoned")).strip());
            assertFalse(Files.exists(root.resolve("versions/booting")));

            List<String> first = Files.readAllLines(state.resolve("run-1.txt"));
            assertTrue(first.contains("PM_SUPERVISED=1"), first.toString());
            assertTrue(first.contains("PM_SERVER_ROOT=" + root), "the trial ran from its slot with the root set: " + first);
            assertTrue(first.contains("arg=io.printmaster.server.launcher.ServerMain"), first.toString());
            assertTrue(first.contains("arg=" + root.resolve("versions/9.9.9-it")), "--program-dir is the slot: " + first);
            assertFalse(first.contains("arg=--supervise"), "the supervisor's own flag is not passed on");

            // the restart: the base install, really running, supervised
            List<String> second = Files.readAllLines(state.resolve("run-2.txt"));
            assertTrue(second.contains("PM_SUPERVISED=1") && second.contains("PM_SERVER_ROOT=<unset>"), second.toString());
            assertTrue(out.contains("starting PrintMaster server " + version() + " (data " + root.resolve("data") + ", home "
                    + root + ")"), out);
            ProcessHandle jvm = supervisor.descendants().filter(h -> h.info().command().orElse("").endsWith("/java"))
                    .findFirst().orElseThrow(() -> new AssertionError("no JVM under the supervisor"));
            assertEquals("1", environmentOf(jvm.pid(), "PM_SUPERVISED"));

            supervisor.destroy(); // SIGTERM to the supervisor: passed on, and it ends with the server
            assertTrue(supervisor.waitFor(60, TimeUnit.SECONDS), "the supervisor did not end");
            assertEquals(143, supervisor.exitValue(), Files.readString(log));
            assertTrue(jvm.onExit().get(30, TimeUnit.SECONDS) != null && !jvm.isAlive(), "the server ended too");
            assertEquals("2", Files.readString(state.resolve("count")).strip(), "no restart after a stop");
            assertTrue(Files.readString(log).contains("store closed"), Files.readString(log));
        } finally {
            stop(supervisor);
        }
    }

    // ------------------------------------------------------------------------------------------------------- helpers

    private ProcessBuilder builder(Path script, Optional<Path> javaHome, String... args) {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("PM_"));
        env.put("JAVA_HOME", javaHome.orElse(Path.of(System.getProperty("java.home"))).toString());
        env.put("PM_ADMIN_PASSWORD", PASSWORD);
        env.put("PM_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC");
        return builder;
    }

    private static void awaitHealthy(Process process, int port, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health"))
                .timeout(Duration.ofSeconds(5)).build();
        Eventually.within(WAIT, () -> {
            assertTrue(process.isAlive(), "exited with " + (process.isAlive() ? "" : process.exitValue()) + ": "
                    + Files.readString(log));
            HttpResponse<String> r;
            try {
                r = http.send(health, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new AssertionError("no answer yet: " + e);
            }
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"UP\""), r.body());
        });
    }

    /** An environment variable of the JVM the script exec'd (the process itself, or its java descendant). */
    private static String environment(Process process, String name) throws IOException {
        long pid = Stream.concat(Stream.of(process.toHandle()), process.descendants())
                .filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst()
                .orElseThrow(() -> new AssertionError("no JVM")).pid();
        return environmentOf(pid, name);
    }

    private static String environmentOf(long pid, String name) throws IOException {
        String environ = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
        for (String entry : environ.split("\0")) {
            if (entry.startsWith(name + "=")) {
                return entry.substring(name.length() + 1);
            }
        }
        return "<unset>";
    }

    private static void stop(Process process) throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
