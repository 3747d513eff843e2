package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official agent distributions as users get them: the linux archive unpacked with {@code tar} starts with
 * {@code bin/pm-agent}; the windows archive carries a real Windows service host; and a fresh server started from its
 * distribution publishes the four archives with no release source configured (zero setup).
 */
class AgentDistributionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    static Path releases() {
        Path dir = Path.of(System.getProperty("pm.agent.releases", "../platform-agent/distribution/target/releases"));
        assertTrue(Files.isRegularFile(dir.resolve("SHA256SUMS")), "the official agent archives are not built: " + dir);
        return dir;
    }

    static String version() throws IOException {
        String dist = System.getProperty("pm.agent.dist");
        return Files.readString(Path.of(dist, "VERSION")).strip();
    }

    @Test
    void unpackedLinuxArchiveStartsTheAgentWithBinPmAgent() throws Exception {
        String version = version();
        Path archive = releases().resolve("printmaster-agent-v" + version + "-linux-amd64.tar.gz");
        assertEquals(0, run(work, "tar", "-xzf", archive.toString()).code);
        Path home = work.resolve("printmaster-agent-" + version);
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")), "tar kept the 0755 mode");
        assertTrue(Files.isDirectory(home.resolve("etc")), "etc/ is there for the fleet files");
        assertTrue(Files.isRegularFile(home.resolve("service/printmaster-agent.service")));
        // the unit restarts the agent when it exits 75 and tells it so (docs/admin-guide.md, "Restarting itself")
        List<String> unit = Files.readAllLines(home.resolve("service/printmaster-agent.service"));
        assertTrue(unit.contains("RestartForceExitStatus=75") && unit.contains("Environment=PM_SUPERVISED=1"),
                String.join("\n", unit));

        Path data = work.resolve("agent-data");
        Path log = work.resolve("agent.log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/pm-agent").toString(), "--data-dir", data.toString(),
                "--port", "0").redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        // the test's own Java, found the way the script finds it
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process agent = builder.start();
        try {
            Eventually.within(WAIT, () -> {
                assertTrue(agent.isAlive(), "the agent exited: " + Files.readString(log));
                assertTrue(Files.readString(log).contains("PrintMaster agent started in"), "not started yet");
            });
            assertTrue(Files.isDirectory(data), "the given data directory is used");
            // Regression: the Felix Health Check bundles import org.slf4j [1.7,2) and did not resolve in the real
            // distribution (Pax Exam provides its own SLF4J, so AgentBundlesIT did not see it); every later update
            // then failed its health check. Every bundle of the official archive must start.
            assertFalse(Files.readString(log).contains("did not start"), Files.readString(log));
        } finally {
            agent.destroy(); // SIGTERM to the JVM (the script exec'd it): a clean stop
            if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
        // a clean stop: the JVM ended through its shutdown hook (which stops Felix, waiting up to 30 s) with the
        // SIGTERM exit code 143, within the 30 s given, so Felix stopped; not killed (137), not hung
        assertEquals(143, agent.exitValue(), Files.readString(log));
        assertTrue(Files.readString(log).contains("stopping PrintMaster agent"), Files.readString(log));
    }

    @Test
    void windowsArchiveCarriesAWindowsServiceHost() throws Exception {
        assumeTrue(onPath("x86_64-w64-mingw32-gcc"), "no MinGW-w64 compiler here: the archive is built without the service host");
        assumeTrue(onPath("file") && onPath("unzip"), "needs file and unzip");
        String version = version();
        Path archive = releases().resolve("printmaster-agent-v" + version + "-windows-amd64.zip");
        Result list = run(work, "unzip", "-Z", archive.toString());
        assertTrue(list.output.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith("/bin/pm-agent")), list.output);
        assertEquals(0, run(work, "unzip", "-q", archive.toString()).code);
        Path exe = work.resolve("printmaster-agent-" + version + "/bin/pm-agent-service.exe");
        Result file = run(work, "file", "-b", exe.toString());
        assertTrue(file.output.startsWith("PE32+ executable") && file.output.contains("x86-64"), file.output);
        String definition = Files.readString(work.resolve("printmaster-agent-" + version + "/service/printmaster-agent-service.xml"));
        assertTrue(definition.contains("<name>PrintMasterAgent</name>") && definition.contains("<executable>bin\\pm-agent-service.exe</executable>"),
                definition);
        assertTrue(definition.contains("<on-failure reset-seconds=\"86400\" non-crash-failures=\"true\">")
                && definition.contains("<restart delay-ms=\"5000\"/>"), definition);
    }

    @Test
    void darwinArchivesDaemonIsKeptAliveAndToldItIsSupervised() throws Exception {
        String version = version();
        Path archive = releases().resolve("printmaster-agent-v" + version + "-darwin-arm64.tar.gz");
        assertEquals(0, run(work, "tar", "-xzf", archive.toString()).code);
        String plist = Files.readString(work.resolve("printmaster-agent-" + version + "/service/io.printmaster.agent.plist"));
        // KeepAlive with SuccessfulExit=false: launchd starts it again after a non-zero exit, 75 included
        assertTrue(plist.replaceAll("\\s+", "").contains("<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>"),
                plist);
        assertTrue(plist.replaceAll("\\s+", "").contains("<key>PM_SUPERVISED</key><string>1</string>"), plist);
    }

    @Test
    void aFreshServerPublishesTheAgentDistributionsItShipsWith() throws Exception {
        try (ServerProcess server = ServerProcess.start("zero-setup")) {
            server.awaitEndpoints("/api/v1/release-sources", "/api/v1/releases/artifacts");
            HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
            String body = JSON.writeValueAsString(Map.of("username", "admin", "password", server.adminPassword()));
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, login.statusCode(), login.body());
            String csrf = JSON.readTree(login.body()).get("csrf_token").asText();

            String version = version();
            Set<String> expected = new TreeSet<>(List.of("linux/amd64/tar.gz", "linux/arm64/tar.gz", "darwin/arm64/tar.gz",
                    "windows/amd64/zip"));
            // no source configured by anyone: the built-in one syncs shortly after start
            Eventually.within(WAIT, () -> {
                JsonNode artifacts = get(http, server, "/api/v1/releases/artifacts?component=agent").get("artifacts");
                Set<String> seen = new TreeSet<>();
                for (JsonNode a : artifacts) {
                    if (a.get("version").asText().equals(version)) {
                        seen.add(a.get("platform").asText() + "/" + a.get("arch").asText() + "/" + a.get("format").asText());
                    }
                }
                assertEquals(expected, seen, "agent artifacts listed: " + artifacts + "\n" + server.logTail());
            });

            JsonNode sources = get(http, server, "/api/v1/release-sources").get("sources");
            assertEquals(1, sources.size(), sources.toString());
            assertEquals("built-in", sources.get(0).get("name").asText());
            assertEquals("built-in", sources.get(0).get("origin").asText());
            assertEquals("directory", sources.get(0).get("type").asText());
            HttpResponse<String> delete = http.send(HttpRequest.newBuilder(server.uri("/api/v1/release-sources/built-in"))
                    .header("X-CSRF-Token", csrf).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(409, delete.statusCode(), delete.body());
            assertTrue(delete.body().contains("built in"), delete.body());
        }
    }

    private static JsonNode get(HttpClient http, ServerProcess server, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    record Result(int code, String output) {
    }

    private static Result run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Result(p.exitValue(), output);
    }

    private static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        return dirs.stream().anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }
}
