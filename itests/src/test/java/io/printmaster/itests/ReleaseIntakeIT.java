package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Release intake end to end, against the real server process and a local GitHub-shaped server: a GitHub source added
 * through the API, a sync followed as server-sent events, every good asset cached and listed, a tampered one rejected
 * with its reason, manifests that verify with stock OpenSSL, and a key rotation that re-signs every manifest and whose
 * statement verifies with the old key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReleaseIntakeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "ghp_itest_token_never_shown_9f2c";
    private static final String TAMPERED = "printmaster-agent-v1.0.0-windows-amd64.zip";

    private static ServerProcess server;
    private static GitHubReleasesServer github;
    private static Admin admin;
    /** The good assets: name → SHA-256. */
    private static final Map<String, String> GOOD = new LinkedHashMap<>();

    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        github = new GitHubReleasesServer();
        Map<String, byte[]> v100 = new LinkedHashMap<>();
        v100.put("printmaster-agent-v1.0.0-linux-amd64.tar.gz", bytes(300_000, 1));
        v100.put(TAMPERED, bytes(280_000, 2));
        github.publish("v1.0.0", "First release", "2026-10-01T09:00:00Z", v100, TAMPERED);
        Map<String, byte[]> v110 = new LinkedHashMap<>();
        v110.put("printmaster-agent-v1.1.0-linux-amd64.tar.gz", bytes(310_000, 3));
        v110.put("printmaster-agent-v1.1.0-linux-amd64.zip", bytes(320_000, 4));
        v110.put("printmaster-agent-v1.1.0-windows-amd64.msi", bytes(2_500_000, 5));
        github.publish("v1.1.0", "Second release: <script>alert(1)</script> & fixes", "2026-11-01T09:00:00Z", v110, null);
        GOOD.put("printmaster-agent-v1.0.0-linux-amd64.tar.gz", GitHubReleasesServer.sha256(v100.get("printmaster-agent-v1.0.0-linux-amd64.tar.gz")));
        for (Map.Entry<String, byte[]> e : v110.entrySet()) {
            GOOD.put(e.getKey(), GitHubReleasesServer.sha256(e.getValue()));
        }
        // only the GitHub source of this test: the built-in one would add its own artifacts and sync
        server = ServerProcess.start("releases", java.nio.file.Files.createTempDirectory("pm-server-releases"),
                ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/release-sources", "/api/v1/releases/sync/status", "/api/v1/releases/signing-keys");
        admin = Admin.login(server);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (github != null) {
                github.close();
            }
        }
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    @Order(1)
    void aSyncCachesEveryGoodAssetAndRejectsTheTamperedOneWithItsReason() throws Exception {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("api_url", github.apiUrl().toString());
        config.put("repository", GitHubReleasesServer.REPOSITORY);
        config.put("token", TOKEN);
        HttpResponse<String> created = admin.post("/api/v1/release-sources",
                Map.of("type", "github", "name", "gh-local", "config", config));
        assertEquals(201, created.statusCode(), created.body());
        assertFalse(created.body().contains(TOKEN), "the token is never shown: " + created.body());
        assertTrue(JSON.readTree(created.body()).get("token_set").asBoolean());

        // the plugin binds the new configuration: the source becomes active
        Eventually.within(Duration.ofSeconds(30), () -> {
            JsonNode source = admin.get("/api/v1/release-sources").get("sources").get(0);
            assertEquals("gh-local", source.get("name").asText());
            assertTrue(source.get("active").asBoolean(), source.toString());
        });
        String listing = admin.getText("/api/v1/release-sources");
        assertFalse(listing.contains(TOKEN), listing);

        HttpResponse<String> started = admin.post("/api/v1/releases/sync", Map.of());
        assertEquals(202, started.statusCode(), started.body());
        String syncId = JSON.readTree(started.body()).get("sync_id").asText();
        List<String[]> events = admin.events("/api/v1/releases/sync/" + syncId + "/events");
        assertEquals("started", events.get(0)[0]);
        assertEquals("finished", events.get(events.size() - 1)[0], "the stream ends with the sync");
        JsonNode finished = JSON.readTree(events.get(events.size() - 1)[1]);
        assertEquals("finished", finished.get("state").asText(), finished.toString());

        // everything good is cached and listed (by this sync or the one the new source triggered)
        JsonNode artifacts = admin.get("/api/v1/releases/artifacts").get("artifacts");
        Map<String, String> listed = new LinkedHashMap<>();
        for (JsonNode a : artifacts) {
            listed.put(a.get("asset_name").asText(), a.get("sha256").asText());
            assertTrue(a.get("cached").asBoolean());
            for (String field : List.of("component", "version", "platform", "arch", "format", "channel", "sha256", "size_bytes", "release_notes")) {
                assertTrue(a.has(field), field + " in " + a);
            }
        }
        assertEquals(new TreeSet<>(GOOD.keySet()), new TreeSet<>(listed.keySet()));
        GOOD.forEach((name, sha) -> assertEquals(sha, listed.get(name), name));
        JsonNode msi = admin.get("/api/v1/releases/artifacts?component=agent&version=1.1.0&platform=windows&arch=amd64&format=msi").get("artifacts");
        assertEquals(1, msi.size());
        assertEquals("Second release: <script>alert(1)</script> & fixes", msi.get(0).get("release_notes").asText());
        assertEquals(2, admin.get("/api/v1/releases/artifacts?version=1.1.0&platform=linux").get("artifacts").size(),
                "the zip and the tar.gz of one build are two artifacts");
        assertTrue(admin.get("/api/v1/releases/artifacts?format=zip&version=1.0.0").get("artifacts").isEmpty(),
                "the tampered asset is not listed");
        HttpResponse<String> badFilter = admin.send(HttpRequest.newBuilder(server.uri("/api/v1/releases/artifacts?platform=plan9")).GET());
        assertEquals(400, badFilter.statusCode());
        assertEquals("platform", JSON.readTree(badFilter.body()).get("error").get("field").asText());

        // the rejection is visible with its reason: in the sync status, and in the event stream of a sync that tried it
        JsonNode status = admin.get("/api/v1/releases/sync/status");
        JsonNode rejection = null;
        for (JsonNode r : status.get("recent_rejections")) {
            if (TAMPERED.equals(r.get("asset_name").asText())) {
                rejection = r;
            }
        }
        assertTrue(rejection != null, status.toString());
        assertEquals("HASH_MISMATCH", rejection.get("reason").asText());
        assertTrue(events.stream().anyMatch(e -> e[0].equals("asset_rejected") && e[1].contains(TAMPERED) && e[1].contains("HASH_MISMATCH")),
                "every sync tries the tampered asset again and rejects it again");

        // the token reached the plugin and went to the API
        assertTrue(github.authorizations.contains("Bearer " + TOKEN), github.authorizations.toString());
        // and nothing shows it: not the audit log, not the server log
        String audit = admin.getText("/api/v1/audit?limit=100");
        assertTrue(audit.contains("release_source.create"), audit);
        assertFalse(audit.contains(TOKEN), audit);
        assertFalse(Files.readString(server.log()).contains(TOKEN), "the server log never holds the token");
    }

    @Test
    @Order(2)
    void everyCachedArtifactHasAManifestThatVerifiesWithOpenssl() throws Exception {
        JsonNode manifests = admin.get("/api/v1/releases/manifests").get("manifests");
        assertEquals(GOOD.size(), manifests.size(), manifests.toString());
        String keyId = manifests.get(0).get("key_id").asText();
        Path pem = admin.pem(keyId, work.resolve("key-" + keyId + ".pem"));
        Set<String> shas = new TreeSet<>();
        for (JsonNode m : manifests) {
            assertEquals(keyId, m.get("key_id").asText());
            JsonNode fields = JSON.readTree(m.get("manifest").asText());
            shas.add(fields.get("sha256").asText());
            assertEquals(keyId, fields.get("key_id").asText());
            assertEquals(1, fields.get("manifest_version").asInt());
            assertTrue(fields.get("release_counter").asLong() >= 1);
            assertTrue(fields.get("bundles").isArray());
            assertEquals(0, Openssl.verify(pem, m.get("manifest").asText(), m.get("signature").asText(), work), m.toString());
        }
        assertEquals(new TreeSet<>(GOOD.values()), shas);
        JsonNode one = admin.get("/api/v1/releases/manifests?component=agent&version=1.1.0&platform=linux&arch=amd64&format=zip").get("manifests");
        assertEquals(1, one.size());
        assertEquals(GOOD.get("printmaster-agent-v1.1.0-linux-amd64.zip"), JSON.readTree(one.get(0).get("manifest").asText()).get("sha256").asText());

        // one changed byte and OpenSSL refuses
        String tampered = one.get(0).get("manifest").asText().replace("\"format\":\"zip\"", "\"format\":\"msi\"");
        assertNotEquals(0, Openssl.verify(pem, tampered, one.get(0).get("signature").asText(), work));
    }

    @Test
    @Order(3)
    void rotatingTheKeyReSignsEveryManifestAndTheOldKeyVouchesForTheNewOne() throws Exception {
        String oldKey = admin.get("/api/v1/releases/manifests").get("manifests").get(0).get("key_id").asText();
        HttpResponse<String> rotated = admin.post("/api/v1/releases/signing-keys/rotate",
                Map.of("notes", "itest rotation", "regenerate_manifests", true));
        assertEquals(200, rotated.statusCode(), rotated.body());
        JsonNode answer = JSON.readTree(rotated.body());
        String newKey = answer.get("key").get("id").asText();
        assertNotEquals(oldKey, newKey);
        assertEquals(GOOD.size(), answer.get("regenerated_count").asInt());

        JsonNode keys = admin.get("/api/v1/releases/signing-keys").get("keys");
        for (JsonNode k : keys) {
            for (String field : List.of("id", "algorithm", "public_key_pem", "active", "created_at", "rotated_at")) {
                assertTrue(k.has(field), field + " in " + k);
            }
            assertEquals(k.get("id").asText().equals(newKey), k.get("active").asBoolean(), k.toString());
        }

        Path newPem = admin.pem(newKey, work.resolve("new.pem"));
        Path oldPem = admin.pem(oldKey, work.resolve("old.pem"));
        JsonNode manifests = admin.get("/api/v1/releases/manifests").get("manifests");
        assertEquals(GOOD.size(), manifests.size());
        for (JsonNode m : manifests) {
            assertEquals(newKey, m.get("key_id").asText());
            assertEquals(newKey, JSON.readTree(m.get("manifest").asText()).get("key_id").asText());
            assertEquals(0, Openssl.verify(newPem, m.get("manifest").asText(), m.get("signature").asText(), work), m.toString());
            assertNotEquals(0, Openssl.verify(oldPem, m.get("manifest").asText(), m.get("signature").asText(), work));
        }

        JsonNode rotations = admin.get("/api/v1/releases/signing-keys/rotations").get("rotations");
        JsonNode last = rotations.get(rotations.size() - 1);
        assertEquals(oldKey, last.get("old_key_id").asText());
        assertEquals(newKey, last.get("new_key_id").asText());
        assertEquals(0, Openssl.verify(oldPem, last.get("statement").asText(), last.get("signature").asText(), work),
                "the rotation statement verifies with the OLD key");
        assertNotEquals(0, Openssl.verify(newPem, last.get("statement").asText(), last.get("signature").asText(), work));
        assertEquals(newKey, JSON.readTree(last.get("statement").asText()).get("new_key_id").asText());
    }

    @Test
    @Order(4)
    void afterARestartTheSourceComesBackWithItsTokenAndNothingHoldsTheTokenInClear() throws Exception {
        String before = admin.getText("/api/v1/releases/manifests");
        Path dataDir = server.dataDir();
        server.close();
        // cleared before the restart: the sync that starts by itself when the source comes back may run before ours
        // (ours then joins it, as already_running), and its requests count as much
        github.authorizations.clear();
        server = ServerProcess.start("releases-restarted", dataDir, ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/release-sources", "/api/v1/releases/sync/status");
        admin = Admin.login(server);

        // the framework cache (and Configuration Admin's state) was rebuilt: the source is configured again from the database
        Eventually.within(Duration.ofSeconds(30), () ->
                assertTrue(admin.get("/api/v1/release-sources").get("sources").get(0).get("active").asBoolean()));
        HttpResponse<String> started = admin.post("/api/v1/releases/sync", Map.of());
        List<String[]> events = admin.events("/api/v1/releases/sync/" + JSON.readTree(started.body()).get("sync_id").asText() + "/events");
        assertEquals("finished", JSON.readTree(events.get(events.size() - 1)[1]).get("state").asText());
        assertTrue(github.authorizations.contains("Bearer " + TOKEN), "the sealed token was given to the plugin again: "
                + github.authorizations);
        assertEquals(before, admin.getText("/api/v1/releases/manifests"), "the stored manifests are served as they were");

        // no file of the data directory holds the token in clear: not etc/, not the framework cache, not the database
        byte[] token = TOKEN.getBytes(StandardCharsets.UTF_8);
        List<Path> leaks = new ArrayList<>();
        try (var files = Files.walk(dataDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(f), token) >= 0) {
                    leaks.add(dataDir.relativize(f));
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    @Order(5)
    void aDownloadThatBreaksOffResumesAtTheNextSyncWithARangeRequest() throws Exception {
        String name = "printmaster-agent-v1.2.0-linux-amd64.tar.gz";
        byte[] content = bytes(3_000_000, 6);
        github.publish("v1.2.0", "Third release", "2026-11-20T09:00:00Z", Map.of(name, content), null);
        github.interruptOnce(name, 1_000_000);

        List<String[]> first = sync();
        assertTrue(first.stream().anyMatch(e -> e[0].equals("asset_rejected") && e[1].contains(name)),
                "the broken download is reported: " + eventsOf(first, name));
        assertTrue(admin.get("/api/v1/releases/artifacts?version=1.2.0").get("artifacts").isEmpty(), "nothing cached yet");

        List<String[]> second = sync();
        String[] cached = second.stream().filter(e -> e[0].equals("asset_cached") && e[1].contains(name)).findFirst()
                .orElseThrow(() -> new AssertionError("not cached by the second sync: " + eventsOf(second, name)));
        long resumedFrom = JSON.readTree(cached[1]).get("resumed_from").asLong();
        assertTrue(resumedFrom > 0 && resumedFrom <= 1_000_000, "resumed from the bytes kept: " + cached[1]);
        assertEquals(List.of("bytes=" + resumedFrom + "-"), github.ranges, "only the rest was asked for");
        JsonNode artifact = admin.get("/api/v1/releases/artifacts?version=1.2.0").get("artifacts").get(0);
        assertEquals(GitHubReleasesServer.sha256(content), artifact.get("sha256").asText());
        assertEquals(content.length, artifact.get("size_bytes").asLong());
    }

    private static List<String[]> sync() throws Exception {
        HttpResponse<String> started = admin.post("/api/v1/releases/sync", Map.of());
        assertEquals(202, started.statusCode(), started.body());
        List<String[]> events = admin.events("/api/v1/releases/sync/" + JSON.readTree(started.body()).get("sync_id").asText() + "/events");
        assertEquals("finished", events.get(events.size() - 1)[0]);
        return events;
    }

    private static List<String> eventsOf(List<String[]> events, String asset) {
        return events.stream().filter(e -> e[1].contains(asset) && !e[0].equals("progress")).map(e -> e[0] + " " + e[1]).toList();
    }

    @Test
    @Order(6)
    void aSourceIsDeletedThroughTheApiAndUnknownTypesAndKeysAreRefusedByField() throws Exception {
        HttpResponse<String> badType = admin.post("/api/v1/release-sources", Map.of("type", "ftp", "name", "x", "config", Map.of()));
        assertEquals(400, badType.statusCode());
        assertEquals("type", JSON.readTree(badType.body()).get("error").get("field").asText());
        HttpResponse<String> badKey = admin.post("/api/v1/release-sources",
                Map.of("type", "directory", "name", "offline", "config", Map.of("path", "/srv/x", "recursive", true)));
        assertEquals(400, badKey.statusCode());
        assertEquals("config.recursive", JSON.readTree(badKey.body()).get("error").get("field").asText());
        HttpResponse<String> missing = admin.post("/api/v1/release-sources",
                Map.of("type", "http-feed", "name", "mirror", "config", Map.of()));
        assertEquals("config.url", JSON.readTree(missing.body()).get("error").get("field").asText());

        assertEquals(204, admin.delete("/api/v1/release-sources/gh-local").statusCode());
        assertEquals(404, admin.delete("/api/v1/release-sources/gh-local").statusCode());
        Eventually.within(Duration.ofSeconds(30), () ->
                assertTrue(admin.get("/api/v1/releases/sync/status").get("sources").isEmpty(), "the plugin dropped the source"));
        assertTrue(admin.get("/api/v1/release-sources").get("sources").isEmpty());
    }

    /** The admin's console session over HTTP: the session cookie and the CSRF token on writes. */
    record Admin(HttpClient http, ServerProcess server, String csrf) {
        static Admin login(ServerProcess server) throws Exception {
            HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
            String body = JSON.writeValueAsString(Map.of("username", "admin", "password", server.adminPassword()));
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, login.statusCode(), login.body());
            return new Admin(http, server, JSON.readTree(login.body()).get("csrf_token").asText());
        }

        HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        }

        JsonNode get(String path) throws Exception {
            return JSON.readTree(getText(path));
        }

        String getText(String path) throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(server.uri(path)).GET());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            return r.body();
        }

        HttpResponse<String> post(String path, Object body) throws Exception {
            return send(HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json")
                    .header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        }

        HttpResponse<String> delete(String path) throws Exception {
            return send(HttpRequest.newBuilder(server.uri(path)).header("X-CSRF-Token", csrf).DELETE());
        }

        Path pem(String keyId, Path to) throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(server.uri("/api/v1/releases/signing-keys/" + keyId + "/pem")).GET());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            assertTrue(r.body().startsWith("-----BEGIN PUBLIC KEY-----"), r.body());
            return Files.writeString(to, r.body());
        }

        /** Reads a server-sent event stream to its end: {name, data} per event. */
        List<String[]> events(String path) throws Exception {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofMinutes(3))
                    .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<String[]> events = new ArrayList<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String name = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (name != null) {
                            events.add(new String[] {name, data.toString()});
                        }
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            }
            return events;
        }
    }

    /** Stock OpenSSL 3, as docs/manifests.md tells anyone to verify. */
    static final class Openssl {
        private static int counter;

        /** Exit code of {@code openssl pkeyutl -verify} over the exact bytes of {@code signed}. */
        static synchronized int verify(Path pem, String signed, String signatureBase64, Path dir) throws Exception {
            int n = ++counter;
            Path message = Files.write(dir.resolve("signed-" + n + ".json"), signed.getBytes(StandardCharsets.UTF_8));
            Path sig = Files.write(dir.resolve("signed-" + n + ".sig"), Base64.getDecoder().decode(signatureBase64));
            Process p;
            try {
                p = new ProcessBuilder("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem.toString(), "-rawin",
                        "-in", message.toString(), "-sigfile", sig.toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalStateException("this test needs OpenSSL 3 on the PATH (apt-get install openssl)", e);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl did not finish");
            if (p.exitValue() == 0) {
                assertTrue(out.contains("Signature Verified Successfully"), out);
            }
            return p.exitValue();
        }
    }
}
