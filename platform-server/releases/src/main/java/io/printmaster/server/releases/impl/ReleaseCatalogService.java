package io.printmaster.server.releases.impl;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseChanges;
import io.printmaster.server.releases.api.ReleaseNotes;
import io.printmaster.server.releases.api.SignedManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ReleaseCatalog} over the release store, the artifact cache and (for rollback manifests) the signer. */
@Component(service = ReleaseCatalog.class)
public class ReleaseCatalogService implements ReleaseCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseCatalogService.class);

    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final BundleCache bundles;

    /**
     * Optional: the catalog serves artifacts and stored manifests without a signer (its configuration may be
     * invalid, the signing bundle stopped); only rollback manifests need it, and they are then empty.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ManifestService manifests;

    @Activate
    public ReleaseCatalogService(@Reference ReleaseStore store, @Reference ArtifactCache cache,
                                 @Reference BundleCache bundles) {
        this.store = store;
        this.cache = cache;
        this.bundles = bundles;
    }

    /** With a manifest service from the start (tests, outside Declarative Services). */
    ReleaseCatalogService(ReleaseStore store, ArtifactCache cache, BundleCache bundles, ManifestService manifests) {
        this(store, cache, bundles);
        this.manifests = manifests;
    }

    @Override
    public List<Artifact> artifacts(ArtifactFilter filter) throws SQLException {
        return store.artifacts(filter == null ? ArtifactFilter.ALL : filter);
    }

    @Override
    public Optional<Path> file(String sha256) {
        return cache.file(sha256);
    }

    @Override
    public Optional<SignedManifest> manifest(long artifactId) throws SQLException {
        return store.manifest(artifactId);
    }

    @Override
    public Optional<Path> bundleJar(Artifact artifact, String path, String sha256) throws IOException {
        Optional<Path> archive = cache.file(artifact.sha256());
        if (archive.isEmpty() || !AgentArchive.readable(artifact.format())) {
            return Optional.empty();
        }
        return bundles.bundle(sha256, archive.get(), artifact.format(), path);
    }

    @Override
    public Optional<SignedManifest> downgradeManifest(long artifactId, String rolloutId) throws SQLException {
        ManifestService signer = manifests;
        if (signer == null) {
            LOG.warn("no rollback manifest of artifact {} for rollout {}: the manifest service is not running (see its "
                    + "configuration, io.printmaster.server.releases.manifests)", artifactId, rolloutId);
            return Optional.empty();
        }
        return signer.downgradeManifest(artifactId, rolloutId);
    }

    @Override
    public Optional<ReleaseNotes> releaseNotes(String component, String version) throws SQLException {
        if (component == null || version == null) {
            return Optional.empty();
        }
        return store.releaseNotes(component, version).filter(notes -> !notes.isBlank()).map(ReleaseNotesRenderer::render);
    }

    @Override
    public Optional<ReleaseChanges> changes(long fromArtifactId, long toArtifactId) throws SQLException {
        Optional<SignedManifest> from = store.manifest(fromArtifactId);
        Optional<SignedManifest> to = store.manifest(toArtifactId);
        if (from.isEmpty() || to.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ReleaseChangesReader.changes(from.get(), to.get()));
    }
}
