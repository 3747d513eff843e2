package io.printmaster.server.releases.api;

/**
 * Why an asset was not taken into the artifact cache. The names are wire names: the sync status, the server-sent
 * events and the console show them as they are.
 */
public enum RejectReason {
    /** The bytes received do not hash to the checksum the upstream publishes: tampered, corrupted or mislabelled. */
    HASH_MISMATCH,
    /** The asset is larger than the configured limit (known from the listing, or found while streaming). */
    SIZE_LIMIT,
    /** The stream ended before the size the upstream announced. */
    TRUNCATED,
    /** No bytes arrived for too long, or the whole download took longer than allowed. */
    TIMEOUT,
    /** The upstream publishes no checksum for the asset, so its bytes cannot be verified: it is never trusted. */
    NO_UPSTREAM_CHECKSUM,
    /** The source failed to list, open or read the asset (network error, refused request, unknown asset). */
    SOURCE_ERROR,
    /**
     * Another source already supplied an artifact with the same component, version, platform, arch and format but
     * different bytes: the first one stays, the second is refused rather than silently replacing it.
     */
    CONFLICT,
    /**
     * The source refused the asset: its release's tag names another component than the asset's file name
     * ({@code agent-v1.2.0} carrying a server archive). Since 1.2.
     */
    COMPONENT_MISMATCH,
    /**
     * The source is configured with an upstream public key and the asset has no signature beside it, or one that
     * does not verify against that key. Since 1.2.
     */
    SIGNATURE_INVALID
}
