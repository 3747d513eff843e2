package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.Checksum;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.BundleChange;
import io.printmaster.server.releases.api.ReleaseChanges;
import io.printmaster.store.impl.DerbyDatabase;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What changes between two agent releases, from the signed manifests of real archives. */
class ReleaseChangesTest {
    private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    JdkEd25519Keys keys;
    ManifestService manifests;
    ReleaseCatalogService catalog;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        keys = new JdkEd25519Keys();
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        manifests = new ManifestService(keys, keys, store, new AgentContents(store, cache, clock),
                Fixtures.manifestConfig(30, 7), clock, false);
        catalog = new ReleaseCatalogService(store, cache, new BundleCache(dir.resolve("bundles")), manifests);
    }

    @AfterEach
    void close() {
        manifests.stop();
        cache.close();
        db.close();
    }

    private Artifact signed(String component, String version, String format, byte[] bytes) throws Exception {
        String sha = AgentManifestTest.sha256(bytes);
        cache.store(new ByteArrayInputStream(bytes), Checksum.sha256(sha), 1 << 30);
        Artifact a = ((ReleaseStore.Added) store.record(new Artifact(0, component, version, "linux", "amd64", format,
                "stable", sha, bytes.length, "a-" + version + "." + format, "s", "directory", "file:///x", null, null,
                NOW))).artifact();
        manifests.sign(a);
        return a;
    }

    @Test
    void onlyBundlesChangedMeansNoRestart() throws Exception {
        Map<String, byte[]> v100 = AgentArchives.tree("1.0.0");
        Map<String, byte[]> v110 = AgentArchives.tree("1.1.0");
        v110.put("bundle/io.printmaster.agent.worker-0.1.0.jar",
                AgentArchives.bundleJar("io.printmaster.agent.worker", "0.1.1", "worker v2"));
        v110.remove("bundle/org.apache.felix.scr-2.2.10.jar");
        v110.put("bundle/io.printmaster.agent.rollouts-0.1.0.jar",
                AgentArchives.bundleJar("io.printmaster.agent.rollouts", "0.1.0", "new"));
        Artifact from = signed("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", v100));
        Artifact to = signed("agent", "1.1.0", "zip", AgentArchives.zip("1.1.0", v110));

        ReleaseChanges changes = catalog.changes(from.id(), to.id()).orElseThrow();

        assertEquals(List.of(
                new BundleChange("io.printmaster.agent.rollouts", null, "0.1.0", BundleChange.ADDED),
                new BundleChange("io.printmaster.agent.worker", "0.1.0.SNAPSHOT", "0.1.1", BundleChange.CHANGED),
                new BundleChange("org.apache.felix.scr", "0.0.0", null, BundleChange.REMOVED)), changes.bundles(),
                "sorted by name; io.printmaster.api is the same bytes and left out");
        assertFalse(changes.restartRequired(), "same runtime: a hot swap");

        ReleaseChanges back = catalog.changes(to.id(), from.id()).orElseThrow();
        assertEquals(BundleChange.REMOVED, back.bundles().get(0).change(), "the way back is the mirror image");
        assertEquals(BundleChange.ADDED, back.bundles().get(2).change());
    }

    @Test
    void aChangedRuntimeOrAnUnknownOneMeansRestart() throws Exception {
        Map<String, byte[]> v100 = AgentArchives.tree("1.0.0");
        Map<String, byte[]> v120 = AgentArchives.tree("1.2.0");
        v120.put("bin/pm-agent", "#!/bin/sh\nexec java -Xmx128m -jar lib/launcher.jar\n".getBytes(StandardCharsets.UTF_8));
        Artifact from = signed("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", v100));
        Artifact to = signed("agent", "1.2.0", "tar.gz", AgentArchives.tarGz("1.2.0", v120));

        ReleaseChanges changes = catalog.changes(from.id(), to.id()).orElseThrow();
        assertEquals(List.of(), changes.bundles(), "the same bundles");
        assertTrue(changes.restartRequired(), "bin/pm-agent changed");

        Artifact msi = signed("agent", "1.3.0", "msi", "not an archive".getBytes(StandardCharsets.UTF_8));
        ReleaseChanges toMsi = catalog.changes(from.id(), msi.id()).orElseThrow();
        assertTrue(toMsi.restartRequired(), "no runtime hash: only a full install is safe");
        assertEquals(3, toMsi.bundles().size(), "every bundle of the archive is gone from the list: " + toMsi);
    }

    @Test
    void aMissingArtifactOrManifestMeansEmpty() throws Exception {
        Artifact from = signed("agent", "1.0.0", "tar.gz", AgentArchives.tarGz("1.0.0", AgentArchives.tree("1.0.0")));
        assertEquals(Optional.empty(), catalog.changes(from.id(), from.id() + 99));
        assertEquals(Optional.empty(), catalog.changes(from.id() + 99, from.id()));
        byte[] unsigned = AgentArchives.tarGz("1.1.0", AgentArchives.tree("1.1.0"));
        Artifact noManifest = ((ReleaseStore.Added) store.record(new Artifact(0, "agent", "1.1.0", "linux", "amd64",
                "tar.gz", "stable", AgentManifestTest.sha256(unsigned), unsigned.length, "b.tar.gz", "s", "directory",
                "file:///y", null, null, NOW))).artifact();
        assertEquals(Optional.empty(), catalog.changes(from.id(), noManifest.id()));
        assertEquals(List.of(), catalog.changes(from.id(), from.id()).orElseThrow().bundles());
        assertFalse(catalog.changes(from.id(), from.id()).orElseThrow().restartRequired());
    }
}
