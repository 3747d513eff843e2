package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.support.RuntimeFingerprint;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's own official archives taken in as component {@code server} through a release folder (the
 * {@code directory} source): listed by {@code /api/v1/releases/artifacts?component=server}, with signed manifests
 * that list the archive's bundles and the fingerprint of its runtime, exactly as the files of the installed archive
 * give them (the facts a self-update decides hot swap or restart by).
 */
class ServerReleaseIntakeIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void serverArchivesFromAReleaseFolderGetSignedManifestsListingTheirBundles() throws Exception {
        String version = ServerDistributionIT.version();
        Path releases = ServerDistributionIT.releases();
        // the release folder an air-gapped site keeps: two of the four archives and their SHA256SUMS lines
        Path folder = Files.createDirectories(work.resolve("server-releases"));
        List<String> names = List.of("printmaster-server-v" + version + "-linux-amd64.tar.gz",
                "printmaster-server-v" + version + "-windows-amd64.zip");
        StringBuilder sums = new StringBuilder();
        for (String line : Files.readAllLines(releases.resolve("SHA256SUMS"))) {
            if (names.stream().anyMatch(line::endsWith)) {
                sums.append(line).append('\n');
            }
        }
        for (String name : names) {
            Files.copy(releases.resolve(name), folder.resolve(name));
        }
        Files.writeString(folder.resolve("SHA256SUMS"), sums);

        try (ServerProcess server = ServerProcess.start("server-intake", Files.createTempDirectory("pm-server-intake"),
                ServerProcess.WITHOUT_BUILT_IN_RELEASES)) {
            server.awaitEndpoints("/api/v1/release-sources", "/api/v1/releases/artifacts", "/api/v1/releases/manifests");
            ReleaseIntakeIT.Admin admin = ReleaseIntakeIT.Admin.login(server);
            HttpResponse<String> created = admin.post("/api/v1/release-sources",
                    Map.of("type", "directory", "name", "server-folder", "config", Map.of("path", folder.toString())));
            assertEquals(201, created.statusCode(), created.body());

            // a new source syncs by itself; ask again until both archives are cached
            Eventually.within(Duration.ofSeconds(120), () -> {
                admin.post("/api/v1/releases/sync", Map.of());
                JsonNode artifacts = admin.get("/api/v1/releases/artifacts?component=server").get("artifacts");
                TreeSet<String> seen = new TreeSet<>();
                for (JsonNode a : artifacts) {
                    assertEquals("server", a.get("component").asText(), a.toString());
                    assertTrue(a.get("cached").asBoolean(), a.toString());
                    seen.add(a.get("platform").asText() + "/" + a.get("arch").asText() + "/" + a.get("format").asText());
                }
                assertEquals(new TreeSet<>(List.of("linux/amd64/tar.gz", "windows/amd64/zip")), seen,
                        artifacts + "\n" + server.logTail());
            });
            assertEquals(0, admin.get("/api/v1/releases/artifacts?component=agent").get("artifacts").size(),
                    "server archives are never listed as agent artifacts");

            JsonNode manifests = admin.get("/api/v1/releases/manifests?component=server&version=" + version
                    + "&platform=linux&arch=amd64&format=tar.gz").get("manifests");
            assertEquals(1, manifests.size(), manifests.toString());
            JsonNode signed = manifests.get(0);
            JsonNode manifest = JSON.readTree(signed.get("manifest").asText());
            assertEquals("server", manifest.get("component").asText());
            assertEquals(version, manifest.get("version").asText());
            Path pem = admin.pem(signed.get("key_id").asText(), work.resolve("key.pem"));
            assertEquals(0, ReleaseIntakeIT.Openssl.verify(pem, signed.get("manifest").asText(),
                    signed.get("signature").asText(), work), "the manifest verifies with stock OpenSSL");

            // what the installed archive holds, read from the files tar writes
            Path root = ServerDistributionIT.unpack(work.resolve("installed"));
            List<String> expectedBundles = new ArrayList<>();
            try (Stream<Path> jars = Files.list(root.resolve("bundle"))) {
                for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                    expectedBundles.add("bundle/" + jar.getFileName() + " " + sha256(jar));
                }
            }
            List<String> listed = new ArrayList<>();
            for (JsonNode b : manifest.get("bundles")) {
                listed.add(b.get("path").asText() + " " + b.get("sha256").asText());
                assertFalse(b.get("symbolic_name").asText().isBlank(), b.toString());
            }
            assertTrue(expectedBundles.size() > 40, "the server's bundles: " + expectedBundles);
            assertEquals(expectedBundles, listed, "every bundle of the archive, by path, with its hash");
            assertTrue(listed.stream().anyMatch(l -> l.startsWith("bundle/io.printmaster.server.releases-")), listed.toString());
            assertEquals(RuntimeFingerprint.ofProgramFolder(root), manifest.get("runtime_sha256").asText(),
                    "the runtime fingerprint of the installed program tree (bin/, lib/, conf/, service/)");
            assertTrue(manifest.get("restart_required").asBoolean(), "no lower server version is known");

            JsonNode windows = JSON.readTree(admin.get("/api/v1/releases/manifests?component=server&platform=windows")
                    .get("manifests").get(0).get("manifest").asText());
            assertEquals(manifest.get("bundles"), windows.get("bundles"), "the same bundles in the zip");
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
