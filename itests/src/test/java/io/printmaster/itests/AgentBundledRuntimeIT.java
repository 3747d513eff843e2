package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents without a preinstalled Java: the official linux-amd64 archive carries {@code runtime/} (a jlink image), and
 * an agent installed from it with {@code tar} starts with {@code bin/pm-agent} on a machine path that has no
 * {@code java} and no {@code JAVA_HOME}, runs on that runtime (its process's executable is
 * {@code runtime/bin/java}), enrolls with a real server and runs its update loop.
 */
class AgentBundledRuntimeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String FLEET = "no-java-hosts";
    /** What bin/pm-agent runs (and nothing else): the PATH of a host without Java. */
    private static final List<String> SHELL_TOOLS = List.of("sh", "ls", "sed", "dirname", "tr", "mv", "date", "sleep",
            "cat", "rm", "mkdir", "uname", "id");

    @TempDir
    Path work;

    private static Path linuxArchive() throws Exception {
        return AgentDistributionIT.releases().resolve("printmaster-agent-v" + AgentDistributionIT.version()
                + "-linux-amd64.tar.gz");
    }

    @Test
    void theLinuxArchiveListsItsJavaRuntimeWithExecutableModes() throws Exception {
        String listing = Tools.run(List.of("tar", "-tzvf", linuxArchive().toString()));
        String top = "printmaster-agent-" + AgentDistributionIT.version() + "/";
        assertTrue(entry(listing, top + "runtime/bin/java").startsWith("-rwxr-xr-x 0/0"), listing);
        assertTrue(entry(listing, top + "runtime/lib/jspawnhelper").startsWith("-rwxr-xr-x"),
                "the helper every child process of the agent starts through is executable");
        assertTrue(entry(listing, top + "runtime/lib/modules").startsWith("-rw-r--r--"));
        assertTrue(entry(listing, top + "runtime/lib/security/cacerts").startsWith("-rw-r--r--"),
                "the CA certificates are a file of the runtime, not a link to the build machine's");
        assertTrue(listing.lines().noneMatch(l -> l.startsWith("l") || l.startsWith("h")), "no links: " + listing);
        String release = Tools.run(List.of("tar", "-xzOf", linuxArchive().toString(), top + "runtime/release"));
        assertTrue(release.contains("JAVA_VERSION=\"" + Runtime.version().feature()), release);
        assertTrue(release.contains("jdk.crypto.ec") && release.contains("java.net.http"),
                "TLS and the HTTP client are in: " + release);
        assertFalse(release.contains("jdk.compiler") || release.contains("jdk.jshell"), "trimmed: " + release);
    }

    @Test
    void anAgentInstalledWithTarRunsOnItsBundledRuntimeWithNoJavaOnThePathAndEnrolls() throws Exception {
        Path noJava = hostPathWithoutJava();
        try (ServerProcess server = ServerProcess.start("bundled-runtime")) {
            server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts");
            ReleaseIntakeIT.Admin admin = ReleaseIntakeIT.Admin.login(server);
            HttpResponse<String> fleet = admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "Hosts without Java"));
            assertEquals(201, fleet.statusCode(), fleet.body());
            HttpResponse<String> created = admin.post("/api/v1/auth/tokens", Map.of("name", "installer",
                    "scopes", List.of("installers.download"), "fleets", List.of(FLEET)));
            assertEquals(201, created.statusCode(), created.body());
            String token = JSON.readTree(created.body()).get("token").asText();
            String version = AgentDistributionIT.version();
            Eventually.within(WAIT, () -> assertEquals(1, admin.get("/api/v1/releases/manifests?component=agent&version="
                    + version + "&platform=linux&arch=amd64&format=tar.gz").get("manifests").size(),
                    "the shipped linux agent is taken in and signed"));

            // the fleet's installer: the official archive (with runtime/) plus the fleet files, unpacked with tar
            HttpResponse<Path> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    server.uri("/api/v1/installers/" + FLEET + "/linux-amd64?format=tar.gz"))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(3)).build(),
                    HttpResponse.BodyHandlers.ofFile(work.resolve("installer.tar.gz")));
            assertEquals(200, download.statusCode());
            Path home = AgentInstallation.unpack(download.body(), work.resolve("unpacked"));
            assertTrue(Files.isExecutable(home.resolve("runtime/bin/java")), "tar kept the runtime's 0755 mode");

            int port = ServerProcess.freePort();
            Path log = work.resolve("agent.log");
            ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/pm-agent").toString(), "--data-dir",
                    work.resolve("agent-data").toString(), "--port", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("PM_") || k.startsWith("JAVA") || k.startsWith("JDK_"));
            builder.environment().put("PATH", noJava.toString());
            Process agent = builder.start();
            try {
                // bin/pm-agent execs the JVM: the started process is the agent's JVM, running the bundled java
                Eventually.within(WAIT, () -> {
                    assertTrue(agent.isAlive(), "the agent exited: " + Files.readString(log));
                    assertEquals(200, get(port, "/api/v1/health").statusCode(), "local health");
                });
                Path exe = Path.of("/proc/" + agent.pid() + "/exe").toRealPath();
                assertEquals(home.resolve("runtime/bin/java").toRealPath(), exe, "the agent runs on its own runtime");
                assertNotEquals(Path.of(System.getProperty("java.home")).resolve("bin/java").toRealPath(), exe);

                Eventually.within(WAIT, () -> {
                    JsonNode mine = null;
                    for (JsonNode a : admin.get("/api/v1/agents").get("agents")) {
                        if (FLEET.equals(a.get("fleet").asText())) {
                            mine = a;
                        }
                    }
                    assertNotNull(mine, "the agent enrolled into " + FLEET + "\n" + Files.readString(log));
                    assertEquals(version, mine.get("current_version").asText());
                    assertFalse(mine.get("last_seen_at").isNull(), "it checked in with its credential");
                });

                // the update loop: a check asked for locally runs through to the server and finds nothing newer
                HttpResponse<String> check = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/autoupdate/check"))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertTrue(check.statusCode() / 100 == 2, check.statusCode() + " " + check.body());
                Eventually.within(WAIT, () -> {
                    JsonNode status = JSON.readTree(get(port, "/api/autoupdate/status").body());
                    JsonNode last = status.get("last_result");
                    assertTrue(last != null && !last.isNull(), "a run ended: " + status);
                    assertEquals("up_to_date", last.get("status").asText(), status.toString());
                    assertFalse(status.get("last_check_at").isNull(), status.toString());
                });
                String output = Files.readString(log);
                assertFalse(output.contains("did not start"), "every bundle starts on the trimmed runtime:\n" + output);
                assertFalse(output.contains("NoClassDefFoundError") || output.contains("ClassNotFoundException"),
                        "no class of a module left out:\n" + output);
            } finally {
                agent.destroy();
                if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
            // a clean stop: the JVM ended through its shutdown hook (which stops Felix, waiting up to 30 s) with the
            // SIGTERM exit code 143, within the 30 s given, so Felix stopped; not killed (137), not hung
            assertEquals(143, agent.exitValue(), Files.readString(log));
            assertTrue(Files.readString(log).contains("stopping PrintMaster agent"), Files.readString(log));
        }
    }

    /**
     * A folder of links to the tools {@code bin/pm-agent} needs, and nothing else: the PATH of a host where no Java
     * was ever installed (this machine's {@code /usr/bin} has one). Checked by asking that PATH's own shell.
     */
    private Path hostPathWithoutJava() throws Exception {
        Path bin = Files.createDirectories(work.resolve("host-bin"));
        List<String> missing = new ArrayList<>();
        for (String tool : SHELL_TOOLS) {
            Path found = null;
            for (String dir : List.of("/usr/bin", "/bin")) {
                if (Files.isExecutable(Path.of(dir, tool))) {
                    found = Path.of(dir, tool);
                    break;
                }
            }
            if (found == null) {
                missing.add(tool);
            } else {
                Files.createSymbolicLink(bin.resolve(tool), found);
            }
        }
        assertEquals(List.of(), missing, "tools of a minimal host");
        ProcessBuilder probe = new ProcessBuilder(bin.resolve("sh").toString(), "-c", "command -v java || echo NONE")
                .redirectErrorStream(true);
        probe.environment().clear();
        probe.environment().put("PATH", bin.toString());
        Process p = probe.start();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals("NONE", answer, "no java on the stripped PATH");
        return bin;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String entry(String listing, String path) {
        return listing.lines().filter(l -> l.endsWith(" " + path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " is not in the archive:\n" + listing));
    }
}
