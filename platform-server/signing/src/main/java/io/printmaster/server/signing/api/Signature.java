package io.printmaster.server.signing.api;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A signature and the key that made it.
 *
 * @param keyId the {@link SigningKey#id()} of the signing key
 * @param value the 64-byte Ed25519 signature (RFC 8032); copied in and out
 */
public record Signature(String keyId, byte[] value) {

    public Signature {
        Objects.requireNonNull(keyId, "keyId");
        value = Objects.requireNonNull(value, "value").clone();
    }

    /** A copy of the signature bytes. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Signature s && keyId.equals(s.keyId) && MessageDigest.isEqual(value, s.value);
    }

    @Override
    public int hashCode() {
        return 31 * keyId.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Signature[key " + keyId + ", " + value.length + " bytes]";
    }
}
