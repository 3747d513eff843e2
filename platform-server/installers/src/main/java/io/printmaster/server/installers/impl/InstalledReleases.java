package io.printmaster.server.installers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The release counter an installer carries ({@code etc/release.json}): the one the artifact's signed manifest states,
 * read from the exact signed bytes, so a fresh agent's floor is what it would have recorded after installing that
 * manifest itself.
 */
final class InstalledReleases {
    private static final Logger LOG = LoggerFactory.getLogger(InstalledReleases.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private InstalledReleases() {
    }

    /** Empty when the artifact has no signed manifest yet (the installer then carries no floor). */
    static Optional<FleetFilesComposer.InstalledRelease> of(ReleaseCatalog catalog, Artifact artifact) {
        try {
            Optional<SignedManifest> manifest = catalog.manifest(artifact.id());
            if (manifest.isEmpty()) {
                LOG.info("the agent artifact {} has no signed manifest yet: its installer carries no release counter",
                        artifact.assetName());
                return Optional.empty();
            }
            JsonNode counter = JSON.readTree(manifest.get().manifest()).get("release_counter");
            if (counter == null || !counter.canConvertToLong() || counter.asLong() < 0) {
                return Optional.empty();
            }
            return Optional.of(new FleetFilesComposer.InstalledRelease(artifact.version(), counter.asLong()));
        } catch (SQLException | IOException e) {
            LOG.warn("cannot read the signed manifest of {}: its installer carries no release counter ({})",
                    artifact.assetName(), e.toString());
            return Optional.empty();
        }
    }
}
