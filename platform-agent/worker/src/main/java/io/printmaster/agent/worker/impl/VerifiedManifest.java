package io.printmaster.agent.worker.impl;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A manifest whose signature, identity, expiry and release counter were checked: the only form in which the worker
 * may act on a manifest's fields.
 *
 * @param component      the component, such as {@code agent}
 * @param version        its semantic version
 * @param platform       {@code linux}, {@code windows}, {@code darwin} or {@code any}
 * @param arch           {@code amd64}, {@code arm64} or {@code any}
 * @param format         {@code tar.gz}, {@code zip}, {@code bundle-set}, …
 * @param sha256         the artifact's SHA-256, lowercase hex
 * @param sizeBytes      the artifact's size: also the byte limit of its download
 * @param releaseCounter the per-component counter the agent must never go below
 * @param keyId          the key that signed it
 * @param expiresAt      after this instant it is refused
 * @param bundles        an agent archive's {@code bundle/*.jar} entries, sorted by path; empty for other artifacts
 * @param runtimeSha256  an agent archive's {@code runtime_sha256} (everything that is not a bundle); null when absent
 * @param downgradeOf    a rollback manifest ({@code "downgrade": true}) only: the rollout it takes the agent back from;
 *                       null for every other manifest
 */
record VerifiedManifest(String component, String version, String platform, String arch, String format, String sha256,
                        long sizeBytes, long releaseCounter, String keyId, Instant expiresAt, List<Bundle> bundles,
                        String runtimeSha256, String downgradeOf) {

    VerifiedManifest {
        bundles = bundles == null ? List.of() : List.copyOf(bundles);
    }

    VerifiedManifest(String component, String version, String platform, String arch, String format, String sha256,
                     long sizeBytes, long releaseCounter, String keyId, Instant expiresAt, List<Bundle> bundles,
                     String runtimeSha256) {
        this(component, version, platform, arch, format, sha256, sizeBytes, releaseCounter, keyId, expiresAt, bundles,
                runtimeSha256, null);
    }

    /** Whether this is a rollback manifest: an older release signed afresh to take one rollout's agents back. */
    boolean downgrade() {
        return downgradeOf != null;
    }

    VerifiedManifest(String component, String version, String platform, String arch, String format, String sha256,
                     long sizeBytes, long releaseCounter, String keyId, Instant expiresAt) {
        this(component, version, platform, arch, format, sha256, sizeBytes, releaseCounter, keyId, expiresAt, List.of(),
                null);
    }

    /** One of its bundles as a download of its own: the signed size and SHA-256 bound and check the bytes. */
    VerifiedManifest forBundle(Bundle b) {
        return new VerifiedManifest(component, version, platform, arch, "jar", b.sha256(), b.sizeBytes(), releaseCounter,
                keyId, expiresAt);
    }

    /** The runtime fingerprint, when the release can be hot-swapped at all (it lists its bundles). */
    Optional<String> hotSwappableRuntime() {
        return bundles.isEmpty() ? Optional.empty() : Optional.ofNullable(runtimeSha256);
    }

    /**
     * One bundle of an agent release, as the signed manifest lists it.
     *
     * @param path {@code bundle/<file>.jar}, relative to the release's top folder
     * @param symbolicName {@code Bundle-SymbolicName} without directives
     * @param version {@code Bundle-Version} as written
     * @param sha256 SHA-256 of the jar, lower-case hex
     * @param sizeBytes the jar's size: also the byte limit of its download
     */
    record Bundle(String path, String symbolicName, String version, String sha256, long sizeBytes) {
    }
}
