package io.printmaster.api.signing;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A key pair in raw form: for Ed25519 (RFC 8032) the 32-byte public key and the 32-byte private key (the seed), as
 * every Ed25519 implementation can exchange them. Arrays are copied on the way in and out; {@link #toString()}
 * never shows the private key.
 *
 * @param algorithm  {@link SigningProvider#ED25519}
 * @param publicKey  the raw public key
 * @param privateKey the raw private key; keep it secret (encrypted at rest)
 */
public record KeyMaterial(String algorithm, byte[] publicKey, byte[] privateKey) {

    /** Length of an Ed25519 public or private key in bytes. */
    public static final int ED25519_KEY_LENGTH = 32;

    /**
     * @throws IllegalArgumentException for Ed25519 keys that are not 32 bytes long, or an empty key
     */
    public KeyMaterial {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(privateKey, "privateKey");
        if (SigningProvider.ED25519.equals(algorithm)) {
            requireLength("public", publicKey, ED25519_KEY_LENGTH);
            requireLength("private", privateKey, ED25519_KEY_LENGTH);
        } else if (publicKey.length == 0 || privateKey.length == 0) {
            throw new IllegalArgumentException("keys must not be empty");
        }
        publicKey = publicKey.clone();
        privateKey = privateKey.clone();
    }

    private static void requireLength(String which, byte[] key, int length) {
        if (key.length != length) {
            throw new IllegalArgumentException("an Ed25519 " + which + " key has " + length + " bytes, not " + key.length);
        }
    }

    /** A copy of the public key. */
    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the private key. */
    @Override
    public byte[] privateKey() {
        return privateKey.clone();
    }

    /** Compares in constant time, so comparing keys leaks nothing through timing. */
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyMaterial k && algorithm.equals(k.algorithm)
                && MessageDigest.isEqual(publicKey, k.publicKey) && MessageDigest.isEqual(privateKey, k.privateKey);
    }

    @Override
    public int hashCode() {
        // the public key alone: enough to spread, and reveals nothing secret
        return 31 * algorithm.hashCode() + Arrays.hashCode(publicKey);
    }

    /** Algorithm and key lengths only. */
    @Override
    public String toString() {
        return "KeyMaterial[" + algorithm + ", public " + publicKey.length + " bytes, private key hidden]";
    }
}
