package io.printmaster.server.releases.impl;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
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

    @Activate
    public ReleaseCatalogService(@Reference ReleaseStore store, @Reference ArtifactCache cache) {
        this.store = store;
        this.cache = cache;
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
}
