package io.printmaster.server.signing.api;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A signing key as anyone may see it: never carries the private key.
 *
 * @param id           the first 16 hex digits (lower case) of the SHA-256 of the raw public key: stable, derived
 *                     from the key itself, so anyone holding the public key can compute it
 * @param algorithm    {@code Ed25519}
 * @param publicKey    the raw 32-byte public key (RFC 8032 encoding); copied in and out
 * @param publicKeyPem the public key as PEM (X.509 SubjectPublicKeyInfo, {@code -----BEGIN PUBLIC KEY-----}), as
 *                     OpenSSL and agent builds read it
 * @param notes        the administrator's notes, or null
 * @param active       whether this is the key that signs now (exactly one key is active)
 * @param createdAt    when it was created
 * @param rotatedAt    when a rotation replaced it, or null while it has not been replaced
 */
public record SigningKey(String id, String algorithm, byte[] publicKey, String publicKeyPem, String notes, boolean active,
                         Instant createdAt, Instant rotatedAt) {

    public SigningKey {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(algorithm, "algorithm");
        publicKey = Objects.requireNonNull(publicKey, "publicKey").clone();
        Objects.requireNonNull(publicKeyPem, "publicKeyPem");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** A copy of the raw public key. */
    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey k && id.equals(k.id) && algorithm.equals(k.algorithm)
                && Arrays.equals(publicKey, k.publicKey) && publicKeyPem.equals(k.publicKeyPem)
                && Objects.equals(notes, k.notes) && active == k.active && createdAt.equals(k.createdAt)
                && Objects.equals(rotatedAt, k.rotatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, active, rotatedAt);
    }

    @Override
    public String toString() {
        return "SigningKey[" + id + ", " + algorithm + (active ? ", active" : "") + ", created " + createdAt
                + (rotatedAt != null ? ", rotated " + rotatedAt : "") + "]";
    }
}
