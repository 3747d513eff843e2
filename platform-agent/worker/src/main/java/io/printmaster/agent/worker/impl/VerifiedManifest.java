package io.printmaster.agent.worker.impl;

import java.time.Instant;

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
 */
record VerifiedManifest(String component, String version, String platform, String arch, String format, String sha256,
                        long sizeBytes, long releaseCounter, String keyId, Instant expiresAt) {
}
