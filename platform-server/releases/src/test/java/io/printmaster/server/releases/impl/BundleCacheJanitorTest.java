package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle cache keeps the jars that recorded agent versions list, and loses the others once they are pruned. */
class BundleCacheJanitorTest {
    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private static final String KEPT = "a".repeat(64);
    private static final String SHARED = "b".repeat(64);
    private static final String ORPHAN = "c".repeat(64);
    private static final String FRESH = "d".repeat(64);

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    BundleCache bundles;
    Path root;
    BundleCacheJanitor janitor;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        root = dir.resolve("bundles");
        bundles = new BundleCache(root);
        janitor = new BundleCacheJanitor(store, bundles, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        janitor.stop();
        db.close();
    }

    private Artifact agent(String version, String... jarHashes) throws Exception {
        Artifact a = ((ReleaseStore.Added) store.record(new Artifact(0, "agent", version, "linux", "amd64", "tar.gz",
                "stable", version.replace(".", "").repeat(64).substring(0, 64), 100, "printmaster-agent-" + version
                + "-linux-amd64.tar.gz", "s", "directory", "file:///x", null, null, NOW))).artifact();
        StringBuilder json = new StringBuilder("[");
        for (String h : jarHashes) {
            json.append(json.length() > 1 ? "," : "").append("{\"path\":\"bundle/").append(h, 0, 6)
                    .append(".jar\",\"sha256\":\"").append(h).append("\",\"size_bytes\":3}");
        }
        store.saveAgentContents(new ReleaseStore.AgentContentsRow(a.id(), "e".repeat(64), json.append(']').toString(), null), NOW);
        return a;
    }

    private Path jar(String sha256, Instant written) throws Exception {
        Path p = Files.write(root.resolve(sha256 + ".jar"), new byte[] {1, 2, 3});
        Files.setLastModifiedTime(p, FileTime.from(written));
        return p;
    }

    @Test
    void jarsNoKeptVersionListsAreRemovedAndTheRestStays() throws Exception {
        agent("1.0.0", KEPT, SHARED);
        agent("1.1.0", SHARED);
        Instant earlier = NOW.minus(Duration.ofHours(1));
        Path kept = jar(KEPT, earlier);
        Path shared = jar(SHARED, earlier);
        Path orphan = jar(ORPHAN, earlier);
        Path fresh = jar(FRESH, NOW.plusSeconds(1));
        Path notOurs = Files.writeString(root.resolve("notes.jar"), "x");

        BundleCache.Removed removed = janitor.run();

        assertEquals(new BundleCache.Removed(1, 3), removed);
        assertFalse(Files.exists(orphan), "no recorded version lists it");
        assertTrue(Files.exists(kept) && Files.exists(shared), "listed by a recorded version");
        assertTrue(Files.exists(fresh), "written after the run read the store: it may belong to a version recorded since");
        assertTrue(Files.exists(notOurs), "not a content-addressed jar: not the cache's to delete");
    }

    @Test
    void aVersionPrunedByRetentionTakesItsOwnJarsAlongButNotTheSharedOnes() throws Exception {
        agent("1.0.0", KEPT, SHARED);
        agent("1.1.0", SHARED);
        Instant earlier = NOW.minus(Duration.ofHours(1));
        Path onlyOld = jar(KEPT, earlier);
        Path shared = jar(SHARED, earlier);

        assertEquals(1, store.pruneBeyond(1).size(), "retention keeps the newest version only");
        BundleCache.Removed removed = janitor.run();

        assertEquals(1, removed.files());
        assertFalse(Files.exists(onlyOld), "only the pruned 1.0.0 listed it");
        assertTrue(Files.exists(shared), "1.1.0 still lists it");
    }

    @Test
    void aBundleListItCannotReadRemovesNothing() throws Exception {
        Artifact a = agent("1.0.0", KEPT);
        store.saveAgentContents(new ReleaseStore.AgentContentsRow(a.id(), "e".repeat(64), "[{\"path\":\"bundle/x.jar\"}]",
                null), NOW);
        Path orphan = jar(ORPHAN, NOW.minus(Duration.ofHours(1)));

        assertThrows(java.io.IOException.class, janitor::run);
        assertTrue(Files.exists(orphan), "a list without hashes could hide any jar's use: nothing goes");
    }
}
