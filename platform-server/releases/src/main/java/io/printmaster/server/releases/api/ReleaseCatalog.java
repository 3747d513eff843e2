package io.printmaster.server.releases.api;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The cached artifacts, their files and signed manifests, for other server bundles. Thread-safe. */
@ProviderType
public interface ReleaseCatalog {

    /**
     * Artifacts matching every given filter (null or empty filters match all), newest version first.
     */
    List<Artifact> artifacts(ArtifactFilter filter) throws SQLException;

    /** The verified file of this content, when it is in the cache. */
    Optional<Path> file(String sha256);

    /** The current signed manifest of an artifact, when it has one. */
    Optional<SignedManifest> manifest(long artifactId) throws SQLException;

    /** Filters for {@link #artifacts}; a null field matches everything. */
    record ArtifactFilter(String component, String version, String platform, String arch, String format, String channel) {
        public static final ArtifactFilter ALL = new ArtifactFilter(null, null, null, null, null, null);
    }
}
