package io.printmaster.server.releases.api;

import java.io.IOException;
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

    /**
     * One bundle jar of a cached agent archive: the entry {@code path} (relative to the archive's top folder, e.g.
     * {@code bundle/io.printmaster.agent.worker-0.1.0.jar}, as the manifest's {@code bundles} name it) of the
     * artifact's file, extracted once into the content-addressed bundle cache ({@code <data>/cache/bundles/<sha256>.jar})
     * and checked against {@code sha256}.
     *
     * @return empty when the artifact's file is not in the cache, holds no such entry, or the entry's bytes do not
     *     hash to {@code sha256}
     * @throws IOException reading the archive or writing the bundle cache failed
     * @since 1.1
     */
    Optional<Path> bundleJar(Artifact artifact, String path, String sha256) throws IOException;

    /** Filters for {@link #artifacts}; a null field matches everything. */
    record ArtifactFilter(String component, String version, String platform, String arch, String format, String channel) {
        public static final ArtifactFilter ALL = new ArtifactFilter(null, null, null, null, null, null);
    }
}
