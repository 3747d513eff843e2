package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.releases.impl.BundleCache;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle download route over a real archive and the real content-addressed bundle cache. */
class UpdateBundleResourceTest {
    static final byte[] JAR = "a jar's bytes, long enough to ask for a range of them".getBytes(StandardCharsets.UTF_8);
    static final String PATH = "bundle/io.printmaster.agent.worker-0.1.0.jar";

    @TempDir
    Path dir;
    String jarSha;
    UpdateBundleResource resource;

    @BeforeEach
    void setUp() throws Exception {
        jarSha = sha256(JAR);
        Path archive = dir.resolve("agent.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(archive))) {
            zip.putNextEntry(new ZipEntry("printmaster-agent-1.1.0/"));
            zip.putNextEntry(new ZipEntry("printmaster-agent-1.1.0/VERSION"));
            zip.write("1.1.0\n".getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("printmaster-agent-1.1.0/" + PATH));
            zip.write(JAR);
        }
        byte[] archiveBytes = Files.readAllBytes(archive);
        Artifact withBundles = artifact(1, "1.1.0", "zip", sha256(archiveBytes));
        Artifact withoutBundles = artifact(2, "1.0.0", "zip", sha256(archiveBytes));
        String manifest = "{\"bundles\":[{\"path\":\"" + PATH + "\",\"sha256\":\"" + jarSha + "\",\"size_bytes\":" + JAR.length
                + ",\"symbolic_name\":\"io.printmaster.agent.worker\",\"version\":\"0.1.0\"}],\"component\":\"agent\"}";
        BundleCache bundles = new BundleCache(dir.resolve("cache/bundles"));
        resource = new UpdateBundleResource(new Catalog(List.of(withBundles, withoutBundles),
                Map.of(1L, manifest, 2L, "{\"bundles\":[],\"component\":\"agent\"}"), archive, bundles));
    }

    @Test
    void servesTheListedJarWithItsHashAsETagAndResumesWithRange() throws Exception {
        ApiResponse whole = resource.bundle(request("1.1.0", "windows-amd64", jarSha.toUpperCase(), Map.of()));
        assertEquals(200, whole.status());
        assertArrayEquals(JAR, body(whole));
        assertEquals(List.of("\"" + jarSha + "\""), whole.headers().get("ETag"));
        assertEquals("application/java-archive", whole.contentType());
        assertTrue(Files.isRegularFile(dir.resolve("cache/bundles/" + jarSha + ".jar")));

        ApiResponse rest = resource.bundle(request("1.1.0", "windows-amd64", jarSha,
                Map.of("Range", "bytes=10-", "If-Range", "\"" + jarSha + "\"")));
        assertEquals(206, rest.status());
        assertArrayEquals(Arrays.copyOfRange(JAR, 10, JAR.length), body(rest));
        assertEquals(List.of("bytes 10-" + (JAR.length - 1) + "/" + JAR.length), rest.headers().get("Content-Range"));
    }

    @Test
    void aMalformedHashIsA400NamingTheField() {
        ApiException e = assertThrows(ApiException.class, () -> resource.bundle(request("1.1.0", "windows-amd64", "abc", Map.of())));
        assertEquals(400, e.status());
        assertEquals("sha256", e.field());
    }

    @Test
    void whatIsNotListedIsA404NamingWhatIsMissing() {
        ApiException noRelease = assertThrows(ApiException.class,
                () -> resource.bundle(request("9.9.9", "windows-amd64", jarSha, Map.of())));
        assertEquals(404, noRelease.status());
        assertEquals("not_found", noRelease.code());
        assertEquals("version", noRelease.field());
        assertTrue(noRelease.getMessage().contains("agent 9.9.9"), noRelease.getMessage());

        ApiException notListed = assertThrows(ApiException.class,
                () -> resource.bundle(request("1.1.0", "windows-amd64", "0".repeat(64), Map.of())));
        assertEquals(404, notListed.status());
        assertEquals("sha256", notListed.field());

        ApiException oldManifest = assertThrows(ApiException.class,
                () -> resource.bundle(request("1.0.0", "windows-amd64", jarSha, Map.of())));
        assertEquals(404, oldManifest.status());
        assertTrue(oldManifest.getMessage().contains("signed manifest of agent 1.0.0"), oldManifest.getMessage());
    }

    private static Artifact artifact(long id, String version, String format, String sha) {
        return new Artifact(id, "agent", version, "windows", "amd64", format, "stable", sha, 1, "agent-" + version + ".zip",
                "s", "directory", "file:///x", null, null, Instant.EPOCH);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** The bytes the dispatcher sends for the answer: a file range (written asynchronously) or a raw body. */
    private static byte[] body(ApiResponse r) throws IOException {
        if (r.fileRange() != null) {
            byte[] all = java.nio.file.Files.readAllBytes(r.fileRange().file());
            return java.util.Arrays.copyOfRange(all, (int) r.fileRange().offset(), (int) (r.fileRange().offset() + r.fileRange().length()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.raw().writeTo(out);
        return out.toByteArray();
    }

    private static ApiRequest request(String version, String target, String sha, Map<String, String> headers) {
        return new Request(Map.of("version", version, "target", target, "sha256", sha), headers);
    }

    /** The release catalog's answers for two releases over one real archive; bundleJar is the real bundle cache. */
    private record Catalog(List<Artifact> artifacts, Map<Long, String> manifests, Path archive, BundleCache bundles)
            implements ReleaseCatalog {
        public List<Artifact> artifacts(ArtifactFilter f) {
            return artifacts.stream().filter(a -> (f.component() == null || f.component().equals(a.component()))
                    && (f.version() == null || f.version().equals(a.version()))
                    && (f.platform() == null || f.platform().equals(a.platform()))
                    && (f.arch() == null || f.arch().equals(a.arch()))).toList();
        }

        public Optional<Path> file(String sha256) {
            return Optional.of(archive);
        }

        public Optional<SignedManifest> manifest(long id) {
            return Optional.ofNullable(manifests.get(id)).map(m -> new SignedManifest(id, "k",
                    m.getBytes(StandardCharsets.UTF_8), "sig", Instant.EPOCH, Instant.EPOCH));
        }

        public Optional<Path> bundleJar(Artifact artifact, String path, String sha256) throws IOException {
            return bundles.bundle(sha256, archive, artifact.format(), path);
        }
    }

    private record Request(Map<String, String> params, Map<String, String> headers) implements ApiRequest {
        public String method() { return "GET"; }
        public String path() { return "/api/v1/agents/update/bundle"; }
        public String pathParam(String name) { return params.get(name); }
        public Optional<String> query(String name) { return Optional.empty(); }
        public Map<String, List<String>> queryParams() { return Map.of(); }
        public Optional<String> header(String name) { return Optional.ofNullable(headers.get(name)); }
        public Optional<String> cookie(String name) { return Optional.empty(); }
        public boolean isSecure() { return false; }
        public Optional<Caller> caller() { return Optional.empty(); }
        public Caller requireCaller() { throw new UnsupportedOperationException(); }
        public byte[] body() { return new byte[0]; }
        public <T> T body(Class<T> type) { throw new UnsupportedOperationException(); }
        public String remoteAddress() { return "127.0.0.1"; }
    }
}
