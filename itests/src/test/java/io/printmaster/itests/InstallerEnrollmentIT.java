package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 end to end, with real processes and real tools: a fresh server (no release source configured) holds the
 * agent distributions it ships with; an admin makes a fleet and an API token for it; the token downloads the fleet's
 * tar.gz installer; {@code tar} unpacks it; the agent started from it with {@code bin/pm-agent} enrolls into that
 * fleet with no other step. The Windows zip reads back with {@code unzip -t}, the MSI with {@code msiinfo}; a token
 * of another fleet never gets this fleet's installer.
 */
class InstallerEnrollmentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FLEET = "print-floor-2";
    private static final String OTHER_FLEET = "warehouse";
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static ServerProcess server;
    private static ReleaseIntakeIT.Admin admin;
    private static String fleetToken;
    private static final List<Process> agents = new ArrayList<>();

    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start("installers");
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts");
        admin = ReleaseIntakeIT.Admin.login(server);
        for (String fleet : List.of(FLEET, OTHER_FLEET)) {
            HttpResponse<String> created = admin.post("/api/v1/fleets", Map.of("id", fleet, "name", "Fleet " + fleet));
            assertEquals(201, created.statusCode(), created.body());
        }
        fleetToken = apiToken("installers for " + FLEET, FLEET);
        // zero setup: the agent distributions shipped with the server become artifacts without any source configured
        Eventually.within(WAIT, () -> {
            JsonNode artifacts = admin.get("/api/v1/releases/artifacts?component=agent").get("artifacts");
            Set<String> platforms = new java.util.TreeSet<>();
            artifacts.forEach(a -> platforms.add(a.get("platform").asText() + "-" + a.get("arch").asText() + "."
                    + a.get("format").asText()));
            assertTrue(platforms.containsAll(Set.of("linux-amd64.tar.gz", "linux-arm64.tar.gz", "darwin-arm64.tar.gz",
                    "windows-amd64.zip")), "built-in agent artifacts: " + platforms);
        });
        // and signed: an installer carries the release counter of a signed manifest only
        String shipped = Files.readString(ServerProcess.distribution().resolve("VERSION")).strip();
        Eventually.within(WAIT, () -> assertEquals(1, admin.get("/api/v1/releases/manifests?component=agent&version="
                + shipped + "&platform=linux&arch=" + AgentReleaseBuilder.arch() + "&format=tar.gz").get("manifests")
                .size(), "the shipped linux agent's manifest is signed"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process agent : agents) {
            agent.destroy();
            if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theTarGzInstallerUnpacksWithTarAndItsAgentEnrollsIntoTheFleet() throws Exception {
        HttpResponse<Path> download = download(fleetToken, "/api/v1/installers/" + FLEET + "/linux-amd64?format=tar.gz",
                work.resolve("installer.tar.gz"));
        assertEquals(200, download.statusCode(), () -> read(download.body()));
        String disposition = download.headers().firstValue("Content-Disposition").orElse("");
        assertTrue(disposition.contains(FLEET) && disposition.endsWith(".tar.gz\""), disposition);
        assertTrue(download.headers().firstValue("ETag").orElse("").startsWith("\""));
        assertEquals(Files.size(download.body()), download.headers().firstValueAsLong("Content-Length").orElse(-1));

        Path home = AgentInstallation.unpack(download.body(), work.resolve("unpacked"));
        Path launcher = home.resolve("bin/pm-agent");
        assertTrue(Files.isExecutable(launcher), "bin/pm-agent is executable after tar -x");
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(home.resolve("etc/join-token")), "the join token is readable by its owner only");
        JsonNode fleetFile = JSON.readTree(home.resolve("etc/fleet.json").toFile());
        assertEquals(FLEET, fleetFile.get("fleet_id").asText());
        assertEquals(server.baseUri().toString(), fleetFile.get("server_url").asText().replaceAll("/$", ""));
        JsonNode trust = JSON.readTree(home.resolve("etc/trust.json").toFile());
        assertFalse(trust.get("keys").isEmpty(), "the installer carries the server's signing keys");
        // the release counter of the release it installs, as its signed manifest states: the fresh agent's floor
        String version = Files.readString(home.resolve("VERSION")).strip();
        JsonNode manifests = admin.get("/api/v1/releases/manifests?component=agent&version=" + version
                + "&platform=linux&arch=" + AgentReleaseBuilder.arch() + "&format=tar.gz").get("manifests");
        assertEquals(1, manifests.size(), manifests.toString());
        long signedCounter = JSON.readTree(manifests.get(0).get("manifest").asText()).get("release_counter").asLong();
        JsonNode release = JSON.readTree(home.resolve("etc/release.json").toFile());
        assertEquals("agent", release.get("component").asText(), release.toString());
        assertEquals(version, release.get("version").asText(), release.toString());
        assertEquals(signedCounter, release.get("release_counter").asLong(), release.toString());
        assertTrue(signedCounter >= 1, "a real counter: " + release);
        String joinToken = Files.readString(home.resolve("etc/join-token")).strip();

        Process agent = startAgent(home);
        Eventually.within(WAIT, () -> {
            assertTrue(agent.isAlive(), "the agent is running");
            JsonNode mine = null;
            for (JsonNode a : admin.get("/api/v1/agents").get("agents")) {
                if (FLEET.equals(a.get("fleet").asText())) {
                    mine = a;
                }
            }
            assertNotNull(mine, "an agent enrolled into " + FLEET);
            assertEquals("linux", mine.get("platform").asText());
            assertFalse(mine.get("arch").asText().isBlank());
            assertEquals(Files.readString(home.resolve("VERSION")).strip(), mine.get("current_version").asText());
            assertFalse(mine.get("last_seen_at").isNull(), "the agent checked in with its credential");
        });
        int inFleet = 0;
        for (JsonNode a : admin.get("/api/v1/agents").get("agents")) {
            if (FLEET.equals(a.get("fleet").asText())) {
                inFleet++;
            } else {
                // only the agent another test enrolls by hand lives elsewhere
                assertEquals("bench-host", a.get("hostname").asText(), "no installed agent landed in another fleet: " + a);
            }
        }
        assertEquals(1, inFleet, "the installed agent enrolled once");

        // issue 13: the used join token leaves the disk, the credential stays sealed by a key outside the data folder
        Path agentData = work.resolve("agent-data");
        Eventually.within(WAIT, () -> assertFalse(Files.exists(home.resolve("etc/join-token")),
                "the join token is deleted once the agent holds its credential"));
        assertEquals(List.of(), MasterKeyIT.filesContaining(home, joinToken), "no copy of the token in the install folder");
        assertEquals(List.of(), MasterKeyIT.filesContaining(agentData, joinToken), "nor in the data folder");
        assertTrue(Files.isRegularFile(agentData.resolve("state/agent-credential.sealed")));
        Path agentKey = MasterKeyIT.keyBeside(agentData);
        assertEquals("rw-------", MasterKeyIT.mode(agentKey), "the agent's master key is beside its data folder");
        assertFalse(Files.exists(agentData.resolve("keys")), "and not inside it");
        assertEquals("rwx------", MasterKeyIT.mode(agentData));
        assertEquals("rw-------", MasterKeyIT.mode(agentData.resolve("state/enrollment.json")));

        // the token the installer carried is limited in uses (100 by default) and counted this enrollment
        JsonNode installerToken = null;
        for (JsonNode t : admin.get("/api/v1/fleets/" + FLEET + "/join-tokens").get("join_tokens")) {
            if (t.get("installer").asBoolean() && t.get("uses").asInt() > 0) {
                installerToken = t;
            }
        }
        assertNotNull(installerToken, "the installer's token is listed");
        assertEquals(100, installerToken.get("max_uses").asInt());
        assertEquals(1, installerToken.get("uses").asInt());
    }

    @Test
    void aDownloadMayAskForATokenOfItsOwnWithAUseLimit() throws Exception {
        Path shared = AgentInstallation.unpack(download(fleetToken, "/api/v1/installers/" + FLEET + "/linux-amd64",
                work.resolve("shared.tar.gz")).body(), work.resolve("shared"));
        HttpResponse<Path> own = download(fleetToken, "/api/v1/installers/" + FLEET + "/linux-amd64?max_uses=3",
                work.resolve("own.tar.gz"));
        assertEquals(200, own.statusCode(), () -> read(own.body()));
        Path dedicated = AgentInstallation.unpack(own.body(), work.resolve("own"));
        String sharedToken = Files.readString(shared.resolve("etc/join-token")).strip();
        String ownToken = Files.readString(dedicated.resolve("etc/join-token")).strip();
        assertNotEquals(sharedToken, ownToken, "an installer with its own limit carries a token of its own");
        Set<Integer> limits = new java.util.TreeSet<>();
        for (JsonNode t : admin.get("/api/v1/fleets/" + FLEET + "/join-tokens").get("join_tokens")) {
            if (t.get("installer").asBoolean()) {
                limits.add(t.get("max_uses").asInt());
            }
        }
        assertTrue(limits.containsAll(Set.of(3, 100)), "installer tokens' limits: " + limits);

        for (String bad : List.of("0", "many", "1000001")) {
            HttpResponse<String> refused = get(fleetToken, "/api/v1/installers/" + FLEET + "/linux-amd64?max_uses=" + bad);
            assertEquals(400, refused.statusCode(), refused.body());
            JsonNode error = JSON.readTree(refused.body()).get("error");
            assertEquals("max_uses", error.get("field").asText());
            assertTrue(error.get("message").asText().contains("from 1 to 1000000"), refused.body());
        }
    }

    @Test
    void theWindowsZipPassesUnzipTestAndKeepsTheLauncherExecutable() throws Exception {
        HttpResponse<Path> zip = download(fleetToken, "/api/v1/installers/" + FLEET + "/windows-amd64?format=zip",
                work.resolve("installer.zip"));
        assertEquals(200, zip.statusCode(), () -> read(zip.body()));
        String test = Tools.run(List.of("unzip", "-t", zip.body().toString()));
        assertTrue(test.contains("No errors detected"), test);
        String listing = Tools.run(List.of("unzip", "-Z", zip.body().toString()));
        assertTrue(listing.lines().anyMatch(l -> l.startsWith("-rwx") && l.endsWith("/bin/pm-agent")), listing);
        assertTrue(listing.lines().anyMatch(l -> l.endsWith("/etc/join-token")), listing);
    }

    @Test
    void theMsiReadsBackWithMsiinfoAndInstallsAService() throws Exception {
        JsonNode formats = JSON.readTree(get(fleetToken, "/api/v1/installers/formats").body()).get("formats");
        JsonNode msi = null;
        for (JsonNode f : formats) {
            if ("msi".equals(f.get("type").asText())) {
                msi = f;
            }
        }
        assertNotNull(msi, "the msi format is listed: " + formats);
        assertTrue(msi.get("available").asBoolean(), "wixl is installed here: " + msi);

        HttpResponse<Path> download = download(fleetToken, "/api/v1/installers/" + FLEET + "/windows-amd64?format=msi",
                work.resolve("installer.msi"));
        assertEquals(200, download.statusCode(), () -> read(download.body()));
        String tables = Tools.run(List.of("msiinfo", "tables", download.body().toString()));
        assertTrue(tables.contains("ServiceInstall") && tables.contains("ServiceControl"), tables);
        String services = Tools.run(List.of("msiinfo", "export", download.body().toString(), "ServiceInstall"));
        assertTrue(services.contains("PrintMasterAgent"), services);
    }

    @Test
    void aTokenOfAnotherFleetNeverGetsThisFleetsInstallerAndUnknownPlatformsNameTheKnownOnes() throws Exception {
        String otherToken = apiToken("installers for " + OTHER_FLEET, OTHER_FLEET);
        HttpResponse<String> foreign = get(otherToken, "/api/v1/installers/" + FLEET + "/linux-amd64?format=tar.gz");
        assertEquals(404, foreign.statusCode(), foreign.body());
        assertFalse(foreign.body().contains("pmj_"), "no token text in the answer");

        HttpResponse<String> unknown = get(fleetToken, "/api/v1/installers/" + FLEET + "/solaris-sparc");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("linux-amd64") && unknown.body().contains("windows-amd64"), unknown.body());
        HttpResponse<String> noMsiForLinux = get(fleetToken, "/api/v1/installers/" + FLEET + "/linux-amd64?format=msi");
        assertEquals(404, noMsiForLinux.statusCode());
        assertTrue(noMsiForLinux.body().contains("tar.gz"), noMsiForLinux.body());
    }

    @Test
    void anEnrolledAgentDownloadsTheRawUpdateWithRangeAndETag() throws Exception {
        HttpResponse<String> minted = admin.post("/api/v1/fleets/" + OTHER_FLEET + "/join-tokens",
                Map.of("ttl_hours", 1, "max_uses", 1));
        assertEquals(201, minted.statusCode(), minted.body());
        String joinToken = JSON.readTree(minted.body()).get("token").asText();
        HttpResponse<String> enrolled = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri("/api/v1/agents/enroll"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        Map.of("join_token", joinToken, "hostname", "bench-host", "platform", "linux", "arch", "amd64",
                                "current_version", "0.0.1")))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, enrolled.statusCode(), enrolled.body());
        String credential = JSON.readTree(enrolled.body()).get("credential").asText();

        Path official;
        try (Stream<Path> releases = Files.list(ServerProcess.distribution().resolve("agent-releases"))) {
            official = releases.filter(p -> p.getFileName().toString().endsWith("-linux-amd64.tar.gz")).findFirst().orElseThrow();
        }
        String version = Files.readString(ServerProcess.distribution().resolve("VERSION")).strip();
        String path = "/api/v1/agents/update/download/agent/" + version + "/linux-amd64";
        HttpResponse<byte[]> whole = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", "Bearer " + credential).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        byte[] expected = Files.readAllBytes(official);
        assertTrue(java.util.Arrays.equals(expected, whole.body()), "the agent gets the official archive's bytes");
        String etag = whole.headers().firstValue("ETag").orElseThrow();

        HttpResponse<byte[]> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", "Bearer " + credential).header("Range", "bytes=1000-").header("If-Range", etag)
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, rest.statusCode());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(expected, 1000, expected.length), rest.body()),
                "a resumed download continues at byte 1000");

        HttpResponse<String> withApiToken = get(fleetToken, path);
        assertEquals(403, withApiToken.statusCode(), "an API token is not an agent credential");
    }

    private static String apiToken(String name, String fleet) throws Exception {
        HttpResponse<String> created = admin.post("/api/v1/auth/tokens",
                Map.of("name", name, "scopes", List.of("installers.download"), "fleets", List.of(fleet)));
        assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).get("token").asText();
    }

    private static HttpResponse<String> get(String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<Path> download(String token, String path, Path to) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(3)).build(),
                HttpResponse.BodyHandlers.ofFile(to));
    }

    private static Process startAgent(Path home) throws IOException {
        Path logDir = Files.createDirectories(ServerProcess.outputDir().resolve("agent-logs"));
        Path log = logDir.resolve("installed-agent-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/pm-agent").toString(),
                "--data-dir", work.resolve("agent-data").toString(), "--port", "0")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process agent = builder.start();
        agents.add(agent);
        return agent;
    }

    private static String read(Path file) {
        try {
            return Files.size(file) < 10_000 ? Files.readString(file) : "(" + Files.size(file) + " bytes)";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
