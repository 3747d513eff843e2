package io.printmaster.server.releases.api;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The cached artifacts, their files and signed manifests, for other server bundles. Thread-safe. The methods added
 * in 1.3 have defaults that answer "nothing" so that stand-ins written before keep compiling; the release bundle's
 * catalog implements them all.
 */
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

    /**
     * The rollback manifest of this artifact for one rollout (docs/manifests.md, "Rollback manifests"): the
     * artifact's manifest members plus {@code "downgrade": true} and {@code "rollout_id"}, with a release counter of
     * its own, above every counter handed out for the component when it was first made (a later release's counter
     * is higher still). Stored and served again while the active key signed it and it does not expire within the
     * renewal margin; otherwise signed again, with the same counter. One counter per artifact and rollout, also
     * when several server processes ask at once.
     *
     * @param rolloutId the rollout the agents go back from: 1 to 64 of {@code [A-Za-z0-9_-]}
     * @return empty when the artifact is not recorded, or when no key may sign now (no signing service, no usable
     *     key, the root's delegation of the active key expired, signing failed: the reason is logged)
     * @throws IllegalArgumentException when {@code rolloutId} is malformed (the message names {@code rolloutId})
     * @since 1.3
     */
    default Optional<SignedManifest> downgradeManifest(long artifactId, String rolloutId) throws SQLException {
        return Optional.empty(); // a catalog that signs nothing (stand-ins written before 1.3)
    }

    /**
     * The cached release notes of a release (those of any of its artifacts that has notes), as published and as
     * sanitized HTML.
     *
     * @return empty when no artifact of that component and version is recorded or none has notes
     * @since 1.3
     */
    default Optional<ReleaseNotes> releaseNotes(String component, String version) throws SQLException {
        return Optional.empty();
    }

    /**
     * What changes between two agent archives (normally of one platform and arch): the bundles added, removed or
     * changed, by the {@code bundles} lists of their signed manifests, and whether the runtime differs.
     *
     * @return empty when either artifact or its signed manifest is missing
     * @since 1.3
     */
    default Optional<ReleaseChanges> changes(long fromArtifactId, long toArtifactId) throws SQLException {
        return Optional.empty();
    }

    /** Filters for {@link #artifacts}; a null field matches everything. */
    record ArtifactFilter(String component, String version, String platform, String arch, String format, String channel) {
        public static final ArtifactFilter ALL = new ArtifactFilter(null, null, null, null, null, null);
    }
}
