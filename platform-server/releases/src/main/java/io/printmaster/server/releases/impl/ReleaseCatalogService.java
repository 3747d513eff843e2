package io.printmaster.server.releases.impl;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link ReleaseCatalog} over the release store and the artifact cache. */
@Component(service = ReleaseCatalog.class)
public class ReleaseCatalogService implements ReleaseCatalog {
    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final BundleCache bundles;

    @Activate
    public ReleaseCatalogService(@Reference ReleaseStore store, @Reference ArtifactCache cache,
                                 @Reference BundleCache bundles) {
        this.store = store;
        this.cache = cache;
        this.bundles = bundles;
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
}
