package io.printmaster.server.signing.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A link in the key chain: the old key vouches for the new one, so an agent that trusts the old key can learn the
 * new one. {@code statement} is canonical JSON (keys sorted, no whitespace, UTF-8), for example
 * <pre>{@code {"new_key_id":"…","new_public_key":"<base64 of the raw key>","old_key_id":"…","rotated_at":"2026-11-26T17:40:00.123Z","type":"printmaster.key-rotation.v1"}}</pre>
 * and {@code signature} is the old key's Ed25519 signature of exactly those bytes. Both are stored and served as
 * made, never rebuilt. An agent checks the signature with the old key's public key, then reads the new key from
 * the statement (and checks that its SHA-256 gives {@code new_key_id}).
 *
 * @param oldKeyId  the key that signed the statement
 * @param newKeyId  the key it names
 * @param statement the exact signed bytes; copied in and out
 * @param signature the 64-byte signature by {@code oldKeyId}; copied in and out
 */
public record RotationStatement(String oldKeyId, String newKeyId, byte[] statement, byte[] signature) {

    /** The {@code type} field of the statement. */
    public static final String TYPE = "printmaster.key-rotation.v1";

    public RotationStatement {
        Objects.requireNonNull(oldKeyId, "oldKeyId");
        Objects.requireNonNull(newKeyId, "newKeyId");
        statement = Objects.requireNonNull(statement, "statement").clone();
        signature = Objects.requireNonNull(signature, "signature").clone();
    }

    /** A copy of the signed bytes. */
    @Override
    public byte[] statement() {
        return statement.clone();
    }

    /** A copy of the signature. */
    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RotationStatement r && oldKeyId.equals(r.oldKeyId) && newKeyId.equals(r.newKeyId)
                && Arrays.equals(statement, r.statement) && MessageDigest.isEqual(signature, r.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(oldKeyId, newKeyId, Arrays.hashCode(statement));
    }

    /** The statement text (it is public), without the signature bytes. */
    @Override
    public String toString() {
        return "RotationStatement[" + new String(statement, StandardCharsets.UTF_8) + "]";
    }
}
