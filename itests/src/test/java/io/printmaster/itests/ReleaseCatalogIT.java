package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseChanges;
import io.printmaster.server.releases.api.ReleaseNotes;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The release catalog's rollout support in the real server bundles: a rollback manifest signed by the real signing
 * bundle over a built-in agent archive, release notes rendered by the shipped CommonMark bundle, and the changes
 * between two signed manifests.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReleaseCatalogIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ReleaseCatalog catalog;

    @Inject
    SigningKeys keys;

    @Inject
    Database database;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.newDataDir("catalog"), ServerContainer.freePort());
    }

    /** A built-in agent archive with its signed manifest, once the start-up sync has cached one. */
    private Artifact signedAgentArchive() throws Exception {
        AtomicReference<Artifact> found = new AtomicReference<>();
        Eventually.within(Duration.ofSeconds(60), () -> {
            List<Artifact> archives = catalog.artifacts(new ReleaseCatalog.ArtifactFilter("agent", null, "linux", "amd64",
                    "tar.gz", null));
            assertFalse("the built-in source cached the linux-amd64 agent archive", archives.isEmpty());
            assertTrue("its manifest is signed", catalog.manifest(archives.get(0).id()).isPresent());
            found.set(archives.get(0));
        });
        return found.get();
    }

    @Test
    public void aRollbackManifestIsSignedByTheServersKeyWithACounterAboveTheRelease() throws Exception {
        Artifact archive = signedAgentArchive();
        JsonNode own = JSON.readTree(catalog.manifest(archive.id()).orElseThrow().manifest());

        SignedManifest rollback = catalog.downgradeManifest(archive.id(), "rol_itest").orElseThrow();

        assertTrue("verifies with the server's key", keys.verify(rollback.keyId(), rollback.manifest(),
                Base64.getDecoder().decode(rollback.signature())));
        assertEquals(keys.active().id(), rollback.keyId());
        JsonNode m = JSON.readTree(rollback.manifest());
        assertTrue(m.get("downgrade").asBoolean());
        assertEquals("rol_itest", m.get("rollout_id").asText());
        assertEquals(own.get("bundles"), m.get("bundles"));
        assertEquals(own.get("runtime_sha256"), m.get("runtime_sha256"));
        assertTrue(m.get("release_counter").asLong() > own.get("release_counter").asLong());
        assertEquals("served again while valid", Base64.getEncoder().encodeToString(rollback.manifest()),
                Base64.getEncoder().encodeToString(catalog.downgradeManifest(archive.id(), "rol_itest").orElseThrow().manifest()));
    }

    @Test
    public void releaseNotesRenderThroughTheShippedCommonMarkBundle() throws Exception {
        Artifact archive = signedAgentArchive();
        String notes = "## Fixed\n\n- [details](https://example.org/x) <script>alert(1)</script>\n\n[bad](javascript:alert(2))\n";
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_RELEASE_ARTIFACT SET RELEASE_NOTES = ? WHERE ID = ?")) {
                ps.setString(1, notes);
                ps.setLong(2, archive.id());
                return ps.executeUpdate();
            }
        });

        ReleaseNotes rendered = catalog.releaseNotes("agent", archive.version()).orElseThrow();

        assertEquals(notes, rendered.markdown());
        assertEquals("<h2>Fixed</h2>\n<ul>\n<li><a rel=\"nofollow noopener noreferrer\" href=\"https://example.org/x\">"
                + "details</a> &lt;script&gt;alert(1)&lt;/script&gt;</li>\n</ul>\n"
                + "<p><a rel=\"nofollow noopener noreferrer\" href=\"\">bad</a></p>\n", rendered.html());
    }

    @Test
    public void anArchiveComparedWithItselfChangesNothing() throws Exception {
        Artifact archive = signedAgentArchive();
        ReleaseChanges changes = catalog.changes(archive.id(), archive.id()).orElseThrow();
        assertEquals(List.of(), changes.bundles());
        assertFalse("the same runtime", changes.restartRequired());
        assertEquals(Optional.empty(), catalog.changes(archive.id(), Long.MAX_VALUE));
    }
}
