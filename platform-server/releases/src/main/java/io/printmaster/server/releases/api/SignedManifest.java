package io.printmaster.server.releases.api;

import java.time.Instant;

/**
 * The signed manifest of one artifact: the exact bytes that were signed and the signature, as stored. Serve the
 * bytes as they are; never rebuild them from their fields, or the signature no longer covers what is sent.
 *
 * @param artifactId  the artifact it describes
 * @param keyId       the signing key
 * @param manifest    the canonical JSON bytes (UTF-8) that were signed; a copy
 * @param signature   the Ed25519 signature of exactly those bytes, base64 (standard alphabet, padded)
 * @param generatedAt when it was signed
 * @param expiresAt   after this instant agents must refuse it
 */
public record SignedManifest(long artifactId, String keyId, byte[] manifest, String signature, Instant generatedAt,
                             Instant expiresAt) {

    public SignedManifest {
        manifest = manifest.clone();
    }

    @Override
    public byte[] manifest() {
        return manifest.clone();
    }
}
