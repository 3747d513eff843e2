package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, server side, against the real server process with the agent releases it ships: the manifest an enrolled
 * agent is offered at check-in lists one bundle per {@code bundle/*.jar} of the official archive (as {@code tar -tzf}
 * lists it), with the runtime hash; a bundle downloaded by its SHA-256 is exactly that jar, and resumes with Range.
 */
class AgentBundleDownloadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String FLEET = "hot-swap";

    private static ServerProcess server;
    private static ReleaseIntakeIT.Admin admin;
    private static String version;
    private static Path official;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start("bundles");
        server.awaitEndpoints("/api/v1/agents", "/api/v1/releases/artifacts");
        admin = ReleaseIntakeIT.Admin.login(server);
        version = Files.readString(ServerProcess.distribution().resolve("VERSION")).strip();
        try (Stream<Path> releases = Files.list(ServerProcess.distribution().resolve("agent-releases"))) {
            official = releases.filter(p -> p.getFileName().toString().endsWith("-linux-amd64.tar.gz")).findFirst().orElseThrow();
        }
        HttpResponse<String> created = admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "Hot swap"));
        assertEquals(201, created.statusCode(), created.body());
        Eventually.within(WAIT, () -> {
            JsonNode manifests = admin.get("/api/v1/releases/manifests?component=agent&version=" + version
                    + "&platform=linux&arch=amd64&format=tar.gz").get("manifests");
            assertEquals(1, manifests.size(), "the shipped linux-amd64 agent has a signed manifest: " + manifests);
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theOfferedManifestListsTheArchivesBundlesAndEachDownloadsByItsHash() throws Exception {
        String credential = enrolledAgent();
        setTargetVersion(version);
        HttpResponse<String> checkIn = agentPost(credential, "/api/v1/agents/update/manifest", Map.of("current_version",
                "0.0.1", "platform", "linux", "arch", "amd64", "hostname", "hot-swap-host", "run_id", "bundle-download-run"));
        assertEquals(200, checkIn.statusCode(), checkIn.body());
        JsonNode answer = JSON.readTree(checkIn.body());
        assertTrue(answer.get("update_available").asBoolean(), answer.toString());
        JsonNode manifest = JSON.readTree(answer.get("update").get("manifest").asText());
        assertEquals(version, manifest.get("version").asText());
        assertTrue(manifest.get("runtime_sha256").asText().matches("[0-9a-f]{64}"), manifest.toString());
        assertTrue(manifest.get("restart_required").isBoolean(), manifest.toString());
        // the agent computes the same fingerprint over the unpacked release: no restart needed between equal ones
        java.nio.file.Path unpacked = java.nio.file.Files.createTempDirectory("pm-runtime");
        run("tar", "-xzf", official.toString(), "-C", unpacked.toString());
        try (var tops = java.nio.file.Files.list(unpacked)) {
            java.nio.file.Path program = tops.findFirst().orElseThrow();
            assertEquals(manifest.get("runtime_sha256").asText(),
                    io.printmaster.api.support.RuntimeFingerprint.ofProgramFolder(program));
            // an installation's fleet files and data are not part of it
            java.nio.file.Files.writeString(program.resolve("etc/join-token"), "pmj_x");
            java.nio.file.Files.createDirectories(program.resolve("data/logs"));
            java.nio.file.Files.writeString(program.resolve("data/logs/agent.log"), "started");
            assertEquals(manifest.get("runtime_sha256").asText(),
                    io.printmaster.api.support.RuntimeFingerprint.ofProgramFolder(program));
        }

        // one entry per bundle/*.jar of the official archive, sorted by path
        List<String> jarsInArchive = new ArrayList<>();
        for (String line : run("tar", "-tzf", official.toString()).split("\n")) {
            String relative = line.substring(line.indexOf('/') + 1);
            if (relative.matches("bundle/[^/]+\\.jar")) {
                jarsInArchive.add(relative);
            }
        }
        jarsInArchive.sort(null);
        List<String> listed = new ArrayList<>();
        manifest.get("bundles").forEach(b -> listed.add(b.get("path").asText()));
        assertFalse(listed.isEmpty(), manifest.toString());
        assertEquals(jarsInArchive, listed);
        for (JsonNode b : manifest.get("bundles")) {
            assertFalse(b.get("symbolic_name").asText().isBlank(), b.toString());
            assertFalse(b.get("symbolic_name").asText().contains(";"), "no directives: " + b);
            assertFalse(b.get("version").asText().isBlank(), b.toString());
        }

        // the worker's bundle, downloaded by its hash: the jar tar extracts, byte for byte
        JsonNode worker = manifest.get("bundles").get(0);
        for (JsonNode b : manifest.get("bundles")) {
            if (b.get("symbolic_name").asText().equals("io.printmaster.agent.worker")) {
                worker = b;
            }
        }
        String sha256 = worker.get("sha256").asText();
        String top = run("tar", "-tzf", official.toString()).lines().findFirst().orElseThrow().split("/")[0];
        byte[] expected = extract(top + "/" + worker.get("path").asText());
        assertEquals(sha256, sha256(expected));
        assertEquals(expected.length, worker.get("size_bytes").asLong());

        String path = "/api/v1/agents/update/bundle/" + version + "/linux-amd64/" + sha256;
        HttpResponse<byte[]> whole = agentGet(credential, path, Map.of());
        assertEquals(200, whole.statusCode());
        assertArrayEquals(expected, whole.body());
        assertEquals("\"" + sha256 + "\"", whole.headers().firstValue("ETag").orElseThrow());
        assertTrue(Files.isRegularFile(server.dataDir().resolve("cache/bundles/" + sha256 + ".jar")),
                "extracted once into the content-addressed bundle cache");

        HttpResponse<byte[]> rest = agentGet(credential, path, Map.of("Range", "bytes=100-", "If-Range", "\"" + sha256 + "\""));
        assertEquals(206, rest.statusCode());
        assertArrayEquals(Arrays.copyOfRange(expected, 100, expected.length), rest.body());

        HttpResponse<byte[]> unknown = agentGet(credential, "/api/v1/agents/update/bundle/" + version + "/linux-amd64/"
                + "0".repeat(64), Map.of());
        assertEquals(404, unknown.statusCode());
        assertEquals("not_found", JSON.readTree(unknown.body()).get("error").get("code").asText());
        HttpResponse<byte[]> malformed = agentGet(credential, "/api/v1/agents/update/bundle/" + version + "/linux-amd64/xyz", Map.of());
        assertEquals(400, malformed.statusCode());
        assertEquals("sha256", JSON.readTree(malformed.body()).get("error").get("field").asText());
        HttpResponse<byte[]> anonymous = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(401, anonymous.statusCode());
    }

    private static String enrolledAgent() throws Exception {
        HttpResponse<String> minted = admin.post("/api/v1/fleets/" + FLEET + "/join-tokens", Map.of("ttl_hours", 1, "max_uses", 1));
        assertEquals(201, minted.statusCode(), minted.body());
        HttpResponse<String> enrolled = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri("/api/v1/agents/enroll"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        Map.of("join_token", JSON.readTree(minted.body()).get("token").asText(), "hostname", "hot-swap-host",
                                "platform", "linux", "arch", "amd64", "current_version", "0.0.1")))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, enrolled.statusCode(), enrolled.body());
        return JSON.readTree(enrolled.body()).get("credential").asText();
    }

    /** The fleet's policy targets exactly this version, so the check-in offers it whatever the pin rules say. */
    private static void setTargetVersion(String target) throws Exception {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("update_check_days", 7);
        policy.put("version_pin_strategy", "major");
        policy.put("allow_major_upgrade", true);
        policy.put("target_version", target);
        policy.put("collect_telemetry", true);
        policy.put("maintenance_window", Map.of("enabled", false, "start_hour", 22, "start_min", 0, "end_hour", 4,
                "end_min", 0, "timezone", "UTC", "days_of_week", List.of(0, 1, 2, 3, 4, 5, 6)));
        policy.put("rollout_control", Map.of("staggered", false, "max_concurrent", 10, "batch_size", 50,
                "delay_between_waves", 0, "jitter_seconds", 0, "emergency_abort", false));
        HttpResponse<String> r = admin.send(HttpRequest.newBuilder(server.uri("/api/v1/update-policies/" + FLEET))
                .header("Content-Type", "application/json").header("X-CSRF-Token", admin.csrf())
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("policy", policy)))));
        assertEquals(200, r.statusCode(), r.body());
    }

    private static HttpResponse<String> agentPost(String credential, String path, Object body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + credential)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> agentGet(String credential, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + credential);
        headers.forEach(b::header);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** One entry's bytes, as {@code tar -xO} writes them. */
    private static byte[] extract(String entry) throws Exception {
        Process p = new ProcessBuilder("tar", "-xzOf", official.toString(), entry).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), String.join(" ", command));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
