package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server updates itself, end to end, as installed from its linux-amd64 archive and run by
 * {@code bin/pm-server --supervise} on loopback: newer server releases, built by this test from the installed one
 * (same layout, version bumped) and published through a directory release source, are taken in, signed by the server
 * and applied by {@code POST /api/v1/server/update/run}:
 *
 * <ol>
 *   <li>0.1.1 changes one bundle only: hot swap, the same JVM keeps running, {@code current_version} is 0.1.1;</li>
 *   <li>0.1.2 adds a migration ({@code db/selfupdate/V2.sql}): backup, hand-over, exit 75, the supervisor starts the
 *       trial, which migrates, reports healthy and commits {@code versions/current};</li>
 *   <li>0.1.3 adds a migration that works and a bundle that cannot resolve: the trial migrates, stays unhealthy,
 *       exits 75 without committing; the trampoline abandons it, 0.1.2's launcher restores the backup, the run ends
 *       {@code rolled_back} with {@code HEALTH_CHECK_FAILED}, and the database has no trace of 0.1.3.</li>
 * </ol>
 */
class ServerSelfUpdateIT {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final String PASSWORD = "server-self-update-it-password";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DASHBOARD = "io.printmaster.server.dashboard";
    private static final String SELFUPDATE = "io.printmaster.server.selfupdate";

    @TempDir
    Path work;

    @Test
    void hotSwapThenRestartWithAMigrationThenABrokenReleaseRolledBackWithTheDatabaseRestored() throws Exception {
        String base = ServerDistributionIT.version();
        Path root = ServerDistributionIT.unpack(work.resolve("opt"));
        Path source = Files.createDirectories(work.resolve("server-releases"));
        // built from the installed program: bin lib bundle conf service VERSION, as the archive holds them
        // the selfupdate bundle, which runs the swap, is swapped too
        release(root, source, "0.1.1", Map.of(DASHBOARD, jar -> rewrite(jar, null,
                Map.of("it/changed-in-0.1.1.txt", "0.1.1")), SELFUPDATE, jar -> rewrite(jar, null,
                Map.of("it/changed-in-0.1.1.txt", "0.1.1"))));
        release(root, source, "0.1.2", Map.of(DASHBOARD, jar -> rewrite(jar, null,
                        Map.of("it/changed-in-0.1.1.txt", "0.1.1")),
                SELFUPDATE, jar -> rewrite(jar, null, Map.of("db/selfupdate/V2.sql", """
                        -- end-to-end test: a schema change
                        CREATE TABLE PM_IT_SELFUPDATE_V2 (ID INT NOT NULL PRIMARY KEY);
                        INSERT INTO PM_IT_SELFUPDATE_V2 (ID) VALUES (2);
                        """))));
        release(root, source, "0.1.3", Map.of(
                // a bundle that cannot resolve: the trial never becomes healthy
                DASHBOARD, jar -> rewrite(jar, m -> m.getMainAttributes().putValue("Import-Package",
                        m.getMainAttributes().getValue("Import-Package") + ",io.printmaster.it.missing"),
                        Map.of("it/changed-in-0.1.1.txt", "0.1.1")),
                SELFUPDATE, jar -> rewrite(jar, null, Map.of("db/selfupdate/V2.sql", """
                        -- end-to-end test: a schema change
                        CREATE TABLE PM_IT_SELFUPDATE_V2 (ID INT NOT NULL PRIMARY KEY);
                        INSERT INTO PM_IT_SELFUPDATE_V2 (ID) VALUES (2);
                        """, "db/selfupdate/V3.sql", """
                        -- end-to-end test: the broken release's schema change, which works
                        CREATE TABLE PM_IT_SELFUPDATE_V3 (ID INT NOT NULL PRIMARY KEY);
                        INSERT INTO PM_IT_SELFUPDATE_V3 (ID) VALUES (3);
                        """))));
        writeSums(source);
        Files.createDirectories(root.resolve("data/etc"));
        ReleaseFolder.configureSource(root.resolve("data"), "it-server", source);

        int port = freePort();
        Path log = work.resolve("supervised.log");
        Process supervisor = start(root, port, log);
        try {
            awaitHealth(supervisor, port, log, base);
            ApiClient api = ApiClient.anonymous(Integer.toString(port)).login(PASSWORD);
            Eventually.within(WAIT, () -> {
                JsonNode artifacts = json(api.get("/api/v1/releases/artifacts?component=server"), 200).get("artifacts");
                List<String> versions = new ArrayList<>();
                artifacts.forEach(a -> versions.add(a.get("version").asText()));
                assertTrue(versions.containsAll(List.of("0.1.1", "0.1.2", "0.1.3")), "server artifacts: " + artifacts);
            }, exited(supervisor, log));
            long firstJvm = jvm(supervisor);

            // (a) one bundle changed: hot swap in the running process
            JsonNode a = runTo(api, "0.1.1", supervisor, log);
            assertEquals("succeeded", a.get("status").asText(), a.toString());
            assertEquals("hot-swap", a.get("mode").asText(), a.toString());
            assertEquals(firstJvm, jvm(supervisor), "the same process runs on");
            assertEquals("0.1.1", json(api.get("/api/v1/server/update"), 200).get("current_version").asText());
            assertEquals("0.1.1", Files.readString(root.resolve("versions/current")).strip());
            assertTrue(Files.readString(root.resolve("data/logs/server.log")).contains("hot swap " + base + " → 0.1.1: "
                    + "swapped [" + DASHBOARD + ", " + SELFUPDATE + "]"), "both bundles swapped in place");

            // (b) a migration: restart through the supervisor into the trial, which commits
            JsonNode b = runTo(api, "0.1.2", supervisor, log);
            assertEquals("succeeded", b.get("status").asText(), b + "\n" + Files.readString(log));
            assertEquals("restart", b.get("mode").asText(), b.toString());
            awaitHealth(supervisor, port, log, "0.1.2");
            assertNotEquals(firstJvm, jvm(supervisor), "a new process runs 0.1.2");
            assertEquals("0.1.2", Files.readString(root.resolve("versions/current")).strip());
            assertFalse(Files.exists(root.resolve("versions/booting")), "committed");
            assertFalse(Files.exists(root.resolve("data/selfupdate/handover.json")), "the hand-over is done");
            String runB = b.get("run_id").asText();
            assertTrue(Files.isRegularFile(root.resolve("data/selfupdate/backups/" + runB + "/db/service.properties")),
                    "the Derby backup taken before the restart");
            String supervisorOut = Files.readString(log);
            assertTrue(supervisorOut.contains("booting version 0.1.2 as a trial"), supervisorOut);

            // (c) a broken release: migrates, never healthy, rolled back with the database restored
            JsonNode c = runTo(api, "0.1.3", supervisor, log);
            assertEquals("rolled_back", c.get("status").asText(), c + "\n" + Files.readString(log));
            assertEquals("HEALTH_CHECK_FAILED", c.get("error_code").asText(), c.toString());
            awaitHealth(supervisor, port, log, "0.1.2");
            assertEquals("0.1.2", Files.readString(root.resolve("versions/current")).strip());
            assertEquals("0.1.3", Files.readString(root.resolve("versions/abandoned")).strip());
            assertFalse(Files.exists(root.resolve("data/selfupdate/handover.json")), "the hand-over is done");
            assertEquals("0.1.2", json(api.get("/api/v1/server/update"), 200).get("current_version").asText());
        } finally {
            stop(supervisor);
        }
        // the database as 0.1.2 left it: its table and row, and nothing of the trial of 0.1.3
        Map<String, Object> db = readDerby(root, root.resolve("data/db"));
        assertEquals(2, db.get("selfupdate"), "PM_SCHEMA_VERSION of module selfupdate: " + db);
        assertEquals(true, db.get("PM_IT_SELFUPDATE_V2"), db.toString());
        assertEquals(false, db.get("PM_IT_SELFUPDATE_V3"), "the broken release's table is gone: " + db);
    }

    /** Points the policy at {@code version}, starts a run (again while the previous run's lease is held) and waits for its end. */
    private static JsonNode runTo(ApiClient api, String version, Process supervisor, Path log) throws Exception {
        json(api.send("PUT", "/api/v1/server/update/policy", Map.of("policy", Map.of("target_version", version))), 200);
        String[] runId = new String[1];
        Eventually.within(WAIT, () -> {
            ApiClient.Response r = api.post("/api/v1/server/update/run", null);
            assertEquals(202, r.status(), r.body());
            runId[0] = JSON.readTree(r.body()).get("run_id").asText();
        }, exited(supervisor, log));
        JsonNode[] run = new JsonNode[1];
        Eventually.within(WAIT, () -> {
            JsonNode runs;
            try {
                runs = json(api.get("/api/v1/server/update/runs"), 200).get("runs");
            } catch (IOException e) {
                throw new AssertionError("the server does not answer (restarting?): " + e);
            }
            for (JsonNode r : runs) {
                if (r.get("run_id").asText().equals(runId[0])) {
                    run[0] = r;
                }
            }
            assertNotNull(run[0], "run " + runId[0] + " listed: " + runs);
            assertTrue(List.of("succeeded", "failed", "rolled_back", "skipped").contains(run[0].get("status").asText()),
                    "run ended: " + run[0]);
        }, exited(supervisor, log));
        assertEquals(version, run[0].get("to_version").asText(), run[0].toString());
        return run[0];
    }

    // ------------------------------------------------------------------------------------------------ the releases

    @FunctionalInterface
    interface JarEdit {
        void apply(Path jar) throws IOException;
    }

    /** A release archive of {@code version} in {@code source}: the installed program with {@code edits} applied. */
    private void release(Path installed, Path source, String version, Map<String, JarEdit> edits) throws Exception {
        Path top = Files.createDirectories(work.resolve("build-" + version)).resolve("printmaster-server-" + version);
        for (String part : List.of("bin", "lib", "bundle", "conf", "service")) {
            if (Files.exists(installed.resolve(part))) {
                copyTree(installed.resolve(part), top.resolve(part));
            }
        }
        Files.writeString(top.resolve("VERSION"), version + "\n");
        for (Map.Entry<String, JarEdit> e : edits.entrySet()) {
            e.getValue().apply(bundleJar(top.resolve("bundle"), e.getKey()));
        }
        Path archive = source.resolve("printmaster-server-v" + version + "-linux-amd64.tar.gz");
        Process tar = new ProcessBuilder("tar", "-czf", archive.toString(), top.getFileName().toString())
                .directory(top.getParent().toFile()).redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar failed: " + out);
    }

    private static Path bundleJar(Path bundles, String symbolicName) throws IOException {
        try (Stream<Path> s = Files.list(bundles)) {
            return s.filter(p -> p.getFileName().toString().startsWith(symbolicName + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no bundle " + symbolicName + " in " + bundles));
        }
    }

    /** Rewrites {@code jar} with its manifest edited and entries added (or replaced). */
    private static void rewrite(Path jar, java.util.function.Consumer<Manifest> manifestEdit, Map<String, String> add)
            throws IOException {
        Path out = jar.resolveSibling(jar.getFileName() + ".new");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            if (manifestEdit != null) {
                manifestEdit.accept(manifest);
            }
            manifest.getMainAttributes().putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
            try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), manifest)) {
                JarEntry e;
                while ((e = in.getNextJarEntry()) != null) {
                    if (add.containsKey(e.getName())) {
                        continue;
                    }
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
                for (Map.Entry<String, String> a : add.entrySet()) {
                    o.putNextEntry(new JarEntry(a.getKey()));
                    o.write(a.getValue().getBytes(StandardCharsets.UTF_8));
                    o.closeEntry();
                }
            }
        }
        Files.move(out, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeSums(Path source) throws Exception {
        StringBuilder sums = new StringBuilder();
        try (Stream<Path> s = Files.list(source)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".tar.gz")).sorted().toList()) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                sums.append(HexFormat.of().formatHex(digest)).append("  ").append(p.getFileName()).append('\n');
            }
        }
        Files.writeString(source.resolve("SHA256SUMS"), sums);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- the processes

    private Process start(Path root, int port, Path log) throws IOException {
        Path probeRoot = Files.createDirectories(work.resolve("no-container"));
        ProcessBuilder b = new ProcessBuilder(root.resolve("bin/pm-server").toString(), "--supervise", "--port",
                Integer.toString(port)).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = b.environment();
        env.keySet().removeIf(k -> k.startsWith("PM_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("PM_ADMIN_PASSWORD", PASSWORD);
        // this build machine may itself be a container: the test's host is declared not to be one
        env.put("PM_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -Dpm.selfupdate.host.root=" + probeRoot);
        env.put("PM_SELFUPDATE_HEALTH_TIMEOUT", "20");
        return b.start();
    }

    private static void awaitHealth(Process supervisor, int port, Path log, String version) throws Exception {
        ApiClient anonymous = ApiClient.anonymous(Integer.toString(port));
        Eventually.within(WAIT, () -> {
            ApiClient.Response r;
            try {
                r = anonymous.get("/api/v1/health");
            } catch (IOException e) {
                throw new AssertionError("no answer yet: " + e);
            }
            assertEquals(200, r.status(), r.body());
            JsonNode h = JSON.readTree(r.body());
            assertEquals("UP", h.get("status").asText(), r.body());
            assertEquals(version, h.get("version").asText(), r.body());
        }, exited(supervisor, log));
    }

    private static Eventually.Reason exited(Process supervisor, Path log) {
        return () -> supervisor.isAlive() ? null : "the supervisor exited with " + supervisor.exitValue() + ": "
                + Files.readString(log);
    }

    /** The PID of the server JVM under the supervisor. */
    private static long jvm(Process supervisor) {
        return supervisor.descendants().filter(h -> h.info().command().orElse("").endsWith("/java"))
                .findFirst().orElseThrow(() -> new AssertionError("no JVM under the supervisor")).pid();
    }

    private static JsonNode json(ApiClient.Response r, int status) throws IOException {
        assertEquals(status, r.status(), r.body());
        return JSON.readTree(r.body());
    }

    private static void stop(Process process) throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
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

    /**
     * Reads the stopped server's Derby database with the Derby the installation ships (its bundle jar holds the
     * engine): the selfupdate module's schema version and which of the test's tables exist.
     */
    private static Map<String, Object> readDerby(Path root, Path db) throws Exception {
        Path derby = bundleJar(root.resolve("bundle"), "io.printmaster.lib.derby");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {derby.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            Driver driver = (Driver) Class.forName("org.apache.derby.iapi.jdbc.AutoloadedDriver", true, loader)
                    .getDeclaredConstructor().newInstance();
            Map<String, Object> found = new java.util.TreeMap<>();
            try (Connection c = driver.connect("jdbc:derby:" + db, new Properties())) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                        "SELECT VERSION FROM PM_SCHEMA_VERSION WHERE MODULE = 'selfupdate'")) {
                    found.put("selfupdate", rs.next() ? rs.getInt(1) : null);
                }
                for (String table : List.of("PM_IT_SELFUPDATE_V2", "PM_IT_SELFUPDATE_V3")) {
                    try (ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
                        found.put(table, rs.next());
                    }
                }
            } finally {
                try {
                    driver.connect("jdbc:derby:" + db + ";shutdown=true", new Properties());
                } catch (java.sql.SQLException expected) {
                    // Derby confirms a shutdown with an exception
                }
            }
            return found;
        }
    }
}
