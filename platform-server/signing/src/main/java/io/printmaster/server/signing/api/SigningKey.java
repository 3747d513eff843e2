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
 * @param rotatedAt    when a rotation replaced it (retired it), or null while it has not been replaced
 * @param pending      made under a root of trust and waiting for the root's delegation: it signs nothing until then
 *                     (since 1.2)
 * @param revokedAt    when it was revoked, or null (since 1.2)
 * @param delegatedUntil when the root's newest delegation of it expires, or null without one (since 1.2)
 */
public record SigningKey(String id, String algorithm, byte[] publicKey, String publicKeyPem, String notes, boolean active,
                         Instant createdAt, Instant rotatedAt, boolean pending, Instant revokedAt,
                         Instant delegatedUntil) {

    /** A key that was never pending, revoked or delegated (1.1's components). */
    public SigningKey(String id, String algorithm, byte[] publicKey, String publicKeyPem, String notes, boolean active,
                      Instant createdAt, Instant rotatedAt) {
        this(id, algorithm, publicKey, publicKeyPem, notes, active, createdAt, rotatedAt, false, null, null);
    }

    /**
     * {@code revoked}, {@code active}, {@code pending} or {@code retired}: what agents make of the key.
     *
     * @since 1.2
     */
    public String state() {
        return revokedAt != null ? "revoked" : active ? "active" : pending ? "pending" : "retired";
    }

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
                && Objects.equals(rotatedAt, k.rotatedAt) && pending == k.pending
                && Objects.equals(revokedAt, k.revokedAt) && Objects.equals(delegatedUntil, k.delegatedUntil);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, active, rotatedAt);
    }

    @Override
    public String toString() {
        return "SigningKey[" + id + ", " + algorithm + ", " + state() + ", created " + createdAt
                + (rotatedAt != null ? ", rotated " + rotatedAt : "") + "]";
    }
}
