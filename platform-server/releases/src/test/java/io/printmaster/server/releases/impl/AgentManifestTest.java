package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.release.Checksum;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.store.impl.DerbyDatabase;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hot-swap fields of agent manifests, read from real tar.gz and zip archives. */
class AgentManifestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    JdkEd25519Keys keys;
    AgentContents contents;
    ManifestService manifests;
    final Clock clock = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        keys = new JdkEd25519Keys();
        contents = new AgentContents(store, cache, clock);
        manifests = new ManifestService(keys, keys, store, contents, Fixtures.manifestConfig(30, 7), clock, false);
    }

    @AfterEach
    void close() {
        manifests.stop();
        cache.close();
        db.close();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Caches the archive and records it as an artifact. */
    private Artifact cached(String component, String version, String format, byte[] bytes) throws Exception {
        cache.store(new ByteArrayInputStream(bytes), Checksum.sha256(sha256(bytes)), 1 << 30);
        return ((ReleaseStore.Added) store.record(new Artifact(0, component, version, "linux", "amd64", format, "stable",
                sha256(bytes), bytes.length, "printmaster-" + component + "-" + version + "-linux-amd64." + format,
                "s", "directory", "file:///x", null, null, clock.instant()))).artifact();
    }

    private JsonNode signed(Artifact a) throws Exception {
        return JSON.readTree(manifests.sign(a).manifest());
    }

    @Test
    void aTarGzAgentManifestListsItsBundlesSortedByPathWithTheRuntimeHash() throws Exception {
        Map<String, byte[]> tree = AgentArchives.tree("1.0.0");
        Artifact a = cached("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", tree));

        String text = new String(manifests.sign(a).manifest(), StandardCharsets.UTF_8);

        byte[] api = tree.get("bundle/io.printmaster.api-0.1.0.jar");
        byte[] worker = tree.get("bundle/io.printmaster.agent.worker-0.1.0.jar");
        byte[] scr = tree.get("bundle/org.apache.felix.scr-2.2.10.jar");
        String expectedBundles = "\"bundles\":["
                + "{\"path\":\"bundle/io.printmaster.agent.worker-0.1.0.jar\",\"sha256\":\"" + sha256(worker) + "\",\"size_bytes\":"
                + worker.length + ",\"symbolic_name\":\"io.printmaster.agent.worker\",\"version\":\"0.1.0.SNAPSHOT\"},"
                + "{\"path\":\"bundle/io.printmaster.api-0.1.0.jar\",\"sha256\":\"" + sha256(api) + "\",\"size_bytes\":"
                + api.length + ",\"symbolic_name\":\"io.printmaster.api\",\"version\":\"0.1.0.SNAPSHOT\"},"
                + "{\"path\":\"bundle/org.apache.felix.scr-2.2.10.jar\",\"sha256\":\"" + sha256(scr) + "\",\"size_bytes\":"
                + scr.length + ",\"symbolic_name\":\"org.apache.felix.scr\",\"version\":\"0.0.0\"}]";
        assertTrue(text.contains(expectedBundles), text);

        // the rule, spelled out: every regular file outside bundle/ but VERSION, "<path>\0<sha256>\n", sorted by path
        String lines = "bin/pm-agent\0" + sha256(tree.get("bin/pm-agent")) + "\n"
                + "bin/pm-agent.cmd\0" + sha256(tree.get("bin/pm-agent.cmd")) + "\n"
                + "conf/logback.xml\0" + sha256(tree.get("conf/logback.xml")) + "\n"
                + "lib/launcher.jar\0" + sha256(tree.get("lib/launcher.jar")) + "\n";
        String runtime = sha256(lines.getBytes(StandardCharsets.UTF_8));
        assertTrue(text.contains(",\"restart_required\":true,\"runtime_sha256\":\"" + runtime + "\",\"sha256\":"), text);
    }

    @Test
    void zipAndTarGzOfOneTreeGiveTheSameFields() throws Exception {
        Map<String, byte[]> tree = AgentArchives.tree("1.0.0");
        JsonNode tgz = signed(cached("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", tree)));
        // what an installer adds under etc/ for one fleet is not part of the runtime
        tree.put("etc/fleet.json", "{\"fleet_id\":\"lab\"}".getBytes(StandardCharsets.UTF_8));
        JsonNode zip = signed(cached("agent", "1.0.0", "zip", AgentArchives.zip("1.0.0", tree)));
        assertEquals(tgz.get("bundles"), zip.get("bundles"));
        assertEquals(3, zip.get("bundles").size());
        assertEquals(tgz.get("runtime_sha256"), zip.get("runtime_sha256"));
        assertNotEquals(tgz.get("sha256"), zip.get("sha256"));
    }

    @Test
    void restartIsRequiredOnlyWhenTheRuntimeDiffersFromTheNextLowerVersion() throws Exception {
        Map<String, byte[]> v100 = AgentArchives.tree("1.0.0");
        Map<String, byte[]> v110 = AgentArchives.tree("1.1.0"); // VERSION differs: not part of the runtime
        v110.put("bundle/io.printmaster.agent.worker-0.1.0.jar",
                AgentArchives.bundleJar("io.printmaster.agent.worker", "0.1.1", "worker v2"));
        Map<String, byte[]> v120 = AgentArchives.tree("1.2.0");
        v120.put("bin/pm-agent", "#!/bin/sh\nexec java -Xmx128m -jar lib/launcher.jar\n".getBytes(StandardCharsets.UTF_8));

        // arrival order differs from version order: the comparison is with the next lower VERSION
        JsonNode m120 = signed(cached("agent", "1.2.0", "tar.gz", AgentArchives.tarGz("1.2.0", v120)));
        JsonNode m100 = signed(cached("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", v100)));
        JsonNode m110 = signed(cached("agent", "1.1.0", "zip", AgentArchives.zip("1.1.0", v110)));

        assertTrue(m100.get("restart_required").asBoolean(), "no lower version: restart");
        assertEquals(m100.get("runtime_sha256"), m110.get("runtime_sha256"), "only a bundle changed");
        assertFalse(m110.get("restart_required").asBoolean(), m110.toString());
        assertNotEquals(m110.get("runtime_sha256"), m120.get("runtime_sha256"), "bin/pm-agent changed");
        // signed before 1.1.0 arrived, 1.2.0 compared with 1.0.0; re-signed, with 1.1.0: both differ
        assertTrue(m120.get("restart_required").asBoolean());
        assertTrue(signed(store.find("agent", "1.2.0", "linux", "amd64", "tar.gz").orElseThrow())
                .get("restart_required").asBoolean());
        JsonNode worker = m110.get("bundles").get(0);
        assertEquals("io.printmaster.agent.worker", worker.get("symbolic_name").asText());
        assertEquals("0.1.1", worker.get("version").asText());
    }

    @Test
    void aServerArchiveListsItsBundlesAndRuntimeComparedWithTheServersOwnLowerVersion() throws Exception {
        Map<String, byte[]> tree = AgentArchives.tree("1.0.0");
        tree.remove("bin/pm-agent");
        tree.remove("bin/pm-agent.cmd");
        tree.put("bin/pm-server", "#!/bin/sh\nexec java -jar lib/launcher.jar\n".getBytes(StandardCharsets.UTF_8));
        tree.put("bundle/io.printmaster.server.releases-0.1.0.jar",
                AgentArchives.bundleJar("io.printmaster.server.releases", "0.1.0.SNAPSHOT", "releases v1"));
        // an agent release of the same version and a different runtime must not count as the server's lower version
        signed(cached("agent", "0.9.0", "tar.gz", AgentArchives.tarGz("0.9.0", AgentArchives.tree("0.9.0"))));
        JsonNode v1 = signed(cached("server", "1.0.0", "tar.gz", AgentArchives.tarGz("server", "1.0.0", tree)));

        List<String> paths = new ArrayList<>();
        v1.get("bundles").forEach(b -> paths.add(b.get("path").asText()));
        assertEquals(List.of("bundle/io.printmaster.agent.worker-0.1.0.jar", "bundle/io.printmaster.api-0.1.0.jar",
                "bundle/io.printmaster.server.releases-0.1.0.jar", "bundle/org.apache.felix.scr-2.2.10.jar"), paths);
        assertEquals("io.printmaster.server.releases", v1.get("bundles").get(2).get("symbolic_name").asText());
        String lines = "bin/pm-server\0" + sha256(tree.get("bin/pm-server")) + "\n"
                + "conf/logback.xml\0" + sha256(tree.get("conf/logback.xml")) + "\n"
                + "lib/launcher.jar\0" + sha256(tree.get("lib/launcher.jar")) + "\n";
        assertEquals(sha256(lines.getBytes(StandardCharsets.UTF_8)), v1.get("runtime_sha256").asText());
        assertTrue(v1.get("restart_required").asBoolean(), "no lower server version: restart");

        // 1.1.0 changes a bundle only: a hot swap for the server's self-update
        Map<String, byte[]> next = new java.util.LinkedHashMap<>(tree);
        next.put("VERSION", "1.1.0\n".getBytes(StandardCharsets.UTF_8));
        next.put("bundle/io.printmaster.server.releases-0.1.0.jar",
                AgentArchives.bundleJar("io.printmaster.server.releases", "0.1.1", "releases v2"));
        JsonNode v11 = signed(cached("server", "1.1.0", "zip", AgentArchives.zip("1.1.0", next)));
        assertEquals("server", v11.get("component").asText());
        assertEquals(v1.get("runtime_sha256"), v11.get("runtime_sha256"));
        assertFalse(v11.get("restart_required").asBoolean(), "same runtime as server 1.0.0: " + v11);
    }

    @Test
    void otherComponentsMsiAndUnreadableArchivesKeepAnEmptyBundleListAndNoRuntimeFields() throws Exception {
        Map<String, byte[]> tree = AgentArchives.tree("1.0.0");
        // a plugin's component: its archive is no program tree, whatever it holds
        JsonNode plugin = signed(cached("acme-label", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", tree)));
        JsonNode msi = signed(cached("agent", "1.0.0", "msi", "not an archive".getBytes(StandardCharsets.UTF_8)));
        JsonNode garbage = signed(cached("agent", "1.0.0", "zip", "not a zip either".getBytes(StandardCharsets.UTF_8)));
        Map<String, byte[]> noBsn = AgentArchives.tree("1.0.0");
        noBsn.put("bundle/plain.jar", "PK-less plain bytes".getBytes(StandardCharsets.UTF_8));
        JsonNode plain = signed(cached("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", noBsn)));
        for (JsonNode m : List.of(plugin, msi, garbage, plain)) {
            assertEquals("[]", m.get("bundles").toString(), m.toString());
            assertFalse(m.has("runtime_sha256"), m.toString());
            assertFalse(m.has("restart_required"), m.toString());
        }
        assertTrue(store.agentContents(store.find("agent", "1.0.0", "linux", "amd64", "tar.gz").orElseThrow().id())
                .orElseThrow().problem().contains("bundle/plain.jar"));
    }

    @Test
    void reSigningReadsTheStoredContentsNotTheArchive() throws Exception {
        Artifact a = cached("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", AgentArchives.tree("1.0.0")));
        JsonNode first = signed(a);
        assertTrue(cache.delete(a.sha256()));
        ManifestService later = new ManifestService(keys, keys, store, contents, Fixtures.manifestConfig(30, 7),
                Clock.offset(clock, Duration.ofDays(25)), false);
        try {
            assertEquals(1, later.renewExpiring());
        } finally {
            later.stop();
        }
        JsonNode renewed = JSON.readTree(store.manifest(a.id()).orElseThrow().manifest());
        assertNotEquals(first.get("generated_at"), renewed.get("generated_at"));
        assertEquals(first.get("bundles"), renewed.get("bundles"));
        assertEquals(first.get("runtime_sha256"), renewed.get("runtime_sha256"));
    }

    @Test
    void aBundleIsExtractedOnceVerifiedAndNeverHalfWritten() throws Exception {
        Map<String, byte[]> tree = AgentArchives.tree("1.0.0");
        byte[] zip = AgentArchives.zip("1.0.0", tree);
        Artifact a = cached("agent", "1.0.0", "zip", zip);
        BundleCache bundles = new BundleCache(dir.resolve("bundles"));
        ReleaseCatalogService catalog = new ReleaseCatalogService(store, cache, bundles);
        byte[] api = tree.get("bundle/io.printmaster.api-0.1.0.jar");
        String apiSha = sha256(api);

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Optional<Path>>> firstRequests = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                firstRequests.add(() -> catalog.bundleJar(a, "bundle/io.printmaster.api-0.1.0.jar", apiSha));
            }
            for (Future<Optional<Path>> f : pool.invokeAll(firstRequests)) {
                Path jar = f.get().orElseThrow();
                assertEquals(dir.resolve("bundles").resolve(apiSha + ".jar"), jar);
                assertEquals(apiSha, sha256(Files.readAllBytes(jar)));
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> files = Files.list(dir.resolve("bundles"))) {
            assertEquals(List.of(apiSha + ".jar"), files.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(Optional.empty(), catalog.bundleJar(a, "bundle/io.printmaster.api-0.1.0.jar", "0".repeat(64)),
                "bytes that hash to something else are not served");
        String workerSha = sha256(tree.get("bundle/io.printmaster.agent.worker-0.1.0.jar"));
        assertEquals(Optional.empty(), catalog.bundleJar(a, "bundle/absent.jar", workerSha));
        try (Stream<Path> files = Files.list(dir.resolve("bundles"))) {
            assertEquals(1, files.count(), "nothing half-written is left");
        }
    }
}
