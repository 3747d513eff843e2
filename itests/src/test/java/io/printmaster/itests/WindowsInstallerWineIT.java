package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.installer.msi.impl.MsiInstallerFormat;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent's MSI installed the way a Windows administrator installs it, {@code msiexec /qn}, on Wine (Debian's
 * {@code wine64}): a real MSI built by the server's MSI installer format from the real windows agent archive, with
 * its real service host ({@code bin\pm-agent-service.exe}, MinGW-built). Checked as an administrator would: the files
 * under {@code C:\Program Files\PrintMaster\Agent}, the service in {@code sc query} and the registry, the host's
 * {@code service.log}.
 *
 * <ul>
 *   <li>With no Java on the machine the service host says so and fails the start, and Windows Installer rolls the
 *       whole install back: no file, no folder, no service.</li>
 *   <li>With a runtime in the archive (here a tiny MinGW-built {@code runtime\bin\java.exe} that runs until stopped,
 *       records its command line, and exits 75 when asked) the service starts; an exit 75 makes the host stop with
 *       the service-specific error 75 that the MSI's recovery actions answer with a start on Windows (Wine carries
 *       out no recovery actions; the MSI's tables are read back with msiinfo in the MSI format's tests);
 *       {@code msiexec /x} removes everything.</li>
 * </ul>
 * One throwaway Wine prefix ({@code /tmp/pm-wine-*}) serves the class; each test leaves it with nothing installed.
 * Skipped with a message where wine64, wixl/msitools or MinGW are missing, unless {@code PM_REQUIRE_WINE=1} (CI): then
 * that is a failure.
 */
class WindowsInstallerWineIT {
    private static final String SERVICE = "PrintMasterAgent";
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Path work;
    private static Wine wine;

    /** A Wine prefix of its own and how to run Windows programs in it. */
    record Wine(Path loader, Path server, Path prefix, Path logs) {
        Path driveC() {
            return prefix.resolve("drive_c");
        }

        Path installFolder() {
            return driveC().resolve("Program Files/PrintMaster/Agent");
        }

        /** Runs {@code wine64 <args>} and waits for it (not for what it started: services keep running). */
        Result run(String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(loader.toString()));
            command.addAll(List.of(args));
            return exec(command);
        }

        /** {@code wineserver -w}: waits until every Wine process of the prefix has ended. */
        void awaitIdle() throws IOException, InterruptedException {
            exec(List.of(server.toString(), "-w"));
        }

        void kill() throws IOException, InterruptedException {
            exec(List.of(server.toString(), "-k"));
        }

        private Result exec(List<String> command) throws IOException, InterruptedException {
            // output to a file: a service Wine starts inherits the pipe and would keep a reader waiting
            Path out = Files.createTempFile(logs, "wine-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("PM_") || k.equals("JAVA_HOME") || k.equals("DISPLAY")
                    || k.startsWith("WINE"));
            env.put("WINEPREFIX", prefix.toString());
            env.put("WINESERVER", server.toString());
            env.put("WINEDEBUG", "-all");
            // no Mono or Gecko download prompts while the prefix is created
            env.put("WINEDLLOVERRIDES", "mscoree,mshtml=");
            Process p = builder.start();
            if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + TOOL_TIMEOUT + ": "
                        + Files.readString(out, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1));
        }
    }

    record Result(int code, String output) {
    }

    @BeforeAll
    static void createPrefix() throws Exception {
        Optional<Path> loader = tool("wine64", "/usr/lib/wine/wine64");
        Optional<Path> server = tool("wineserver", "/usr/lib/wine/wineserver64");
        String missing = loader.isEmpty() || server.isEmpty()
                ? "wine64 is not installed (apt-get install --no-install-recommends wine64)"
                : !(onPath("wixl") && onPath("msiinfo") && onPath("msibuild"))
                ? "wixl and msitools are not installed (apt-get install wixl msitools)"
                : !onPath("x86_64-w64-mingw32-gcc") ? "the MinGW-w64 compiler is not installed, so the windows "
                + "archive has no service host (apt-get install gcc-mingw-w64-x86-64-win32)" : null;
        if ("1".equals(System.getenv("PM_REQUIRE_WINE"))) {
            assertTrue(missing == null, missing + "; PM_REQUIRE_WINE=1 makes that a failure");
        }
        assumeTrue(missing == null, "SKIPPED: " + missing);

        work = Files.createTempDirectory("pm-wine-test-");
        Path prefix = Files.createTempDirectory("pm-wine-");
        Files.delete(prefix); // wineboot creates it, and refuses a folder it did not create that is not owned by us
        wine = new Wine(loader.get(), server.get(), prefix, work);
        long started = System.nanoTime();
        Result init = wine.run("wineboot", "--init");
        wine.awaitIdle();
        System.out.printf("WindowsInstallerWineIT: Wine prefix %s initialised in %d ms%n", prefix,
                (System.nanoTime() - started) / 1_000_000);
        assertTrue(Files.isDirectory(wine.driveC().resolve("windows/system32")), "wineboot: " + init.output());
    }

    @AfterAll
    static void removePrefix() throws Exception {
        if (wine != null) {
            wine.kill();
            deleteTree(wine.prefix());
        }
        if (work != null) {
            deleteTree(work);
        }
    }

    @Test
    void withoutJavaTheServiceFailsToStartAndTheInstallRollsBackLeavingNothing() throws Exception {
        Path msi = msi(officialWindowsArchive(), "agent-no-java.msi");
        Path installLog = work.resolve("install-no-java.log");

        Result install = wine.run("msiexec", "/qn", "/l*v", windows(installLog), "/i", windows(msi));

        assertNotEquals(0, install.code(), "the install fails when the service cannot start: " + install.output()
                + tail(installLog));
        String serviceLog = Files.readString(serviceLog(), StandardCharsets.UTF_8);
        assertTrue(serviceLog.contains("ERROR no Java found: install a Java 17+ runtime"), serviceLog);
        assertTrue(Files.readString(installLog, StandardCharsets.ISO_8859_1).contains("StartServices"),
                "the service was started by the install");
        assertNothingInstalled();
    }

    @Test
    void aServiceThatStartsStopsWithCode75WhenItsJvmExits75AndTheUninstallRemovesEverything() throws Exception {
        Path archive = withRuntime(officialWindowsArchive(), fakeJava());
        Path msi = msi(archive, "agent-with-runtime.msi");

        Path installLog = work.resolve("install-with-runtime.log");
        Result install = wine.run("msiexec", "/qn", "/l*v", windows(installLog), "/i", windows(msi));

        assertEquals(0, install.code(), "msiexec /i: " + install.output() + tail(installLog));
        Map<String, Long> expected = archiveFiles(archive);
        expected.put("etc/fleet.json", (long) FLEET_JSON.length);
        Map<String, Long> installed = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(wine.installFolder())) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                installed.put(wine.installFolder().relativize(p).toString(), Files.size(p));
            }
        }
        assertEquals(expected, installed, "every file of the archive and the fleet's, with its size");
        Result query = wine.run("sc", "query", SERVICE);
        assertTrue(query.output().contains("SERVICE_NAME: " + SERVICE) && query.output().contains("4  RUNNING"),
                query.output());
        Path started = serviceLog().resolveSibling("fake-java.txt");
        String commandLine = Files.readString(started, StandardCharsets.UTF_8);
        assertTrue(commandLine.startsWith("\"C:\\Program Files\\PrintMaster\\Agent\\runtime\\bin\\java.exe\""),
                "the archive's runtime is preferred: " + commandLine);
        assertTrue(commandLine.contains(" io.printmaster.agent.launcher.AgentMain --home \"C:\\Program Files\\"
                + "PrintMaster\\Agent\" --program-dir \"C:\\Program Files\\PrintMaster\\Agent\" --data-dir "), commandLine);
        // PM_SUPERVISED=1 only when the service's recovery actions restart it: Wine's msiexec does not carry out
        // MsiConfigureServices (the MSI's tables are checked with msiinfo in the MSI format's tests)
        String log = Files.readString(serviceLog(), StandardCharsets.UTF_8);
        assertEquals(log.contains("has no recovery actions that restart it"),
                commandLine.contains("PM_SUPERVISED=<unset>"), log + "\n" + commandLine);

        // exit 75: the host stops the service with service-specific code 75 (ERROR_SERVICE_SPECIFIC_ERROR, 1066), the
        // failure the MSI's recovery actions answer with a start on Windows. Wine does not run them reliably (it may
        // start the service again on its own, soon, or not at all), so the stop is caught as it happens: the host's
        // log line is awaited on the file, then the SCM asked at once; if Wine was quicker, once more. Then the
        // service is started by hand where Wine did not.
        String stopped = null;
        for (int attempt = 1; attempt <= 3 && stopped == null; attempt++) {
            Files.deleteIfExists(started);
            int before = count(Files.readString(serviceLog(), StandardCharsets.UTF_8), RESTART_LINE);
            Files.writeString(serviceLog().resolveSibling("exit-75"), ""); // the fake JVM exits 75, as the agent does
            Eventually.within(WAIT, () -> assertEquals(before + 1,
                    count(Files.readString(serviceLog(), StandardCharsets.UTF_8), RESTART_LINE), "exit 75 seen"));
            Result now = wine.run("sc", "query", SERVICE);
            if (now.output().contains("1  STOPPED")) {
                stopped = now.output();
                Result start = wine.run("sc", "start", SERVICE);
                assertTrue(start.code() == 0 || wine.run("sc", "query", SERVICE).output().contains("4  RUNNING"),
                        "sc start: " + start.output());
            }
            Eventually.within(WAIT, () -> {
                assertTrue(wine.run("sc", "query", SERVICE).output().contains("4  RUNNING"), "running again");
                assertTrue(Files.isRegularFile(started), "a new JVM started");
            });
        }
        assertTrue(stopped != null, "the stopped state after exit 75 was never seen");
        assertTrue(stopped.matches("(?s).*WIN32_EXIT_CODE\\s*:\\s*1066\\b.*")
                && stopped.matches("(?s).*SERVICE_EXIT_CODE\\s*:\\s*75\\b.*"), stopped);

        Path uninstallLog = work.resolve("uninstall.log");
        Result uninstall = wine.run("msiexec", "/qn", "/l*v", windows(uninstallLog), "/x", windows(msi));

        assertEquals(0, uninstall.code(), "msiexec /x: " + uninstall.output() + tail(uninstallLog));
        String afterUninstall = Files.readString(serviceLog(), StandardCharsets.UTF_8);
        assertTrue(afterUninstall.strip().endsWith("INFO  service stopped"), "stopped by the uninstall: "
                + afterUninstall);
        try {
            assertNothingInstalled();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + tail(uninstallLog), e);
        }
    }

    /** The end of an msiexec log, for a failure's message. */
    private static String tail(Path log) throws IOException {
        if (!Files.isRegularFile(log)) {
            return "";
        }
        String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).replace("\u0000", "");
        return "\n--- " + log.getFileName() + " (end) ---\n" + text.substring(Math.max(0, text.length() - 6000));
    }

    private static final String RESTART_LINE = "INFO  the agent asked for a restart (exit code 75): stopping with "
            + "service-specific code 75";

    private static int count(String text, String line) {
        return text.split(java.util.regex.Pattern.quote(line), -1).length - 1;
    }

    /** No install folder (nor its PrintMaster parent), no service in the SCM, no service key in the registry. */
    private static void assertNothingInstalled() throws Exception {
        Path parent = wine.installFolder().getParent();
        assertFalse(Files.exists(parent), () -> "left behind: " + listing(parent));
        Result query = wine.run("sc", "query", SERVICE);
        assertFalse(query.output().contains("SERVICE_NAME: " + SERVICE), query.output());
        assertNotEquals(0, query.code(), "sc query of a service that does not exist");
        Result key = wine.run("reg", "query", "HKLM\\System\\CurrentControlSet\\Services\\" + SERVICE);
        assertNotEquals(0, key.code(), "the service's registry key is gone: " + key.output());
    }

    private static final byte[] FLEET_JSON = "{\"server_url\":\"http://pm.example:8080\",\"fleet_id\":\"f1\"}\n"
            .getBytes(StandardCharsets.UTF_8);

    /** The MSI the server's MSI format builds from {@code archive} with a fleet file. */
    private static Path msi(Path archive, String name) throws Exception {
        Path msi = work.resolve(name);
        new MsiInstallerFormat().repackage(archive, FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON)), msi);
        return msi;
    }

    private static Path officialWindowsArchive() throws IOException {
        String version = Files.readString(Path.of(System.getProperty("pm.agent.dist"), "VERSION")).strip();
        Path zip = AgentDistributionIT.releases().resolve("printmaster-agent-v" + version + "-windows-amd64.zip");
        assertTrue(Files.isRegularFile(zip), zip + " is not built");
        return zip;
    }

    /**
     * A stand-in for {@code java.exe}: records its command line and {@code PM_SUPERVISED} in {@code fake-java.txt}
     * in its working folder (the host starts it in the data folder), then runs until stopped, or exits 75 once a
     * file {@code exit-75} appears there.
     */
    private static Path fakeJava() throws Exception {
        Path source = work.resolve("fake-java.c");
        Files.writeString(source, """
                #include <windows.h>
                #include <stdio.h>
                int wmain(void)
                {
                    wchar_t supervised[8] = L"<unset>";
                    GetEnvironmentVariableW(L"PM_SUPERVISED", supervised, 8);
                    FILE *f = _wfopen(L"fake-java.txt", L"w");
                    if (f) {
                        fwprintf(f, L"%ls\\nPM_SUPERVISED=%ls\\n", GetCommandLineW(), supervised);
                        fclose(f);
                    }
                    for (;;) {
                        if (GetFileAttributesW(L"exit-75") != INVALID_FILE_ATTRIBUTES) {
                            DeleteFileW(L"exit-75");
                            return 75;
                        }
                        Sleep(100);
                    }
                }
                """);
        Path exe = work.resolve("java.exe");
        Process gcc = new ProcessBuilder("x86_64-w64-mingw32-gcc", "-O2", "-s", "-municode", "-o", exe.toString(),
                source.toString()).redirectErrorStream(true).redirectOutput(work.resolve("gcc.log").toFile()).start();
        assertTrue(gcc.waitFor(2, TimeUnit.MINUTES) && gcc.exitValue() == 0, Files.readString(work.resolve("gcc.log")));
        return exe;
    }

    /** The archive with {@code runtime/bin/java.exe} added under its top folder. */
    private static Path withRuntime(Path archive, Path java) throws IOException {
        Path out = work.resolve("with-runtime-" + archive.getFileName());
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(archive));
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            String top = null;
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                top = top == null ? e.getName().substring(0, e.getName().indexOf('/') + 1) : top;
                zip.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(zip);
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry(top + "runtime/bin/java.exe"));
            Files.copy(java, zip);
            zip.closeEntry();
        }
        return out;
    }

    /** The archive's files (below its top folder) with their sizes. */
    private static Map<String, Long> archiveFiles(Path archive) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(archive))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (!e.isDirectory()) {
                    files.put(e.getName().substring(e.getName().indexOf('/') + 1), in.transferTo(OutputStream.nullOutputStream()));
                }
            }
        }
        return files;
    }

    /** The host's log, in the data folder under Wine's %ProgramData% (which Wine puts where it likes). */
    private static Path serviceLog() throws IOException {
        try (Stream<Path> walk = Files.walk(wine.driveC(), 5)) {
            return walk.filter(p -> p.endsWith("PrintMaster/Agent/service.log")).findFirst()
                    .orElseThrow(() -> new AssertionError("no PrintMaster\\Agent\\service.log under " + wine.driveC()));
        }
    }

    /** The Windows path of a file of this machine (Wine's drive Z: is the root). */
    private static String windows(Path file) {
        return "Z:" + file.toAbsolutePath().toString().replace('/', '\\');
    }

    private static String listing(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.map(Path::toString).toList().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Optional<Path> tool(String name, String debianPath) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Optional.of(Path.of(dir, name));
            }
        }
        // Debian's wine64 package alone (without the wine wrapper package) keeps its programs here
        return Files.isExecutable(Path.of(debianPath)) ? Optional.of(Path.of(debianPath)) : Optional.empty();
    }

    private static boolean onPath(String name) {
        return tool(name, "/nonexistent").isPresent();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
