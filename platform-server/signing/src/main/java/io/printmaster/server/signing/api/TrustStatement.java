package io.printmaster.server.signing.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A trust statement as the server stores and serves it: one entry of the global, increasing sequence agents follow
 * (docs/manifests.md, "Trust statements"). {@code statement} is canonical JSON and {@code signature} the Ed25519
 * signature of exactly those bytes by {@code signerKeyId}; both are stored and served as made, never rebuilt.
 *
 * @param sequence    the global sequence number (1, 2, …): an agent reports the newest it holds as its
 *                    {@code trust_version}
 * @param type        {@value #ROTATION}, {@value #DELEGATION} or {@value #REVOCATION}
 * @param keyId       the key the statement is about: the new key of a rotation, the delegated or the revoked key
 * @param signerKeyId the key that signed it: the old key of a rotation, the root, or the server key that revoked
 * @param statement   the exact signed bytes; copied in and out
 * @param signature   the 64-byte signature; copied in and out
 * @param createdAt   when the server stored it
 * @since 1.2
 */
public record TrustStatement(long sequence, String type, String keyId, String signerKeyId, byte[] statement,
                             byte[] signature, Instant createdAt) {

    public static final String ROTATION = "rotation";
    public static final String DELEGATION = "delegation";
    public static final String REVOCATION = "revocation";
    /** The {@code type} member inside a delegation's signed bytes. */
    public static final String DELEGATION_TYPE = "printmaster.key-delegation.v1";
    /** The {@code type} member inside a revocation's signed bytes. */
    public static final String REVOCATION_TYPE = "printmaster.key-revocation.v1";

    public TrustStatement {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signerKeyId, "signerKeyId");
        statement = Objects.requireNonNull(statement, "statement").clone();
        signature = Objects.requireNonNull(signature, "signature").clone();
        Objects.requireNonNull(createdAt, "createdAt");
    }

    @Override
    public byte[] statement() {
        return statement.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The signed bytes as text (they are UTF-8 JSON). */
    public String statementText() {
        return new String(statement, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustStatement t && sequence == t.sequence && type.equals(t.type) && keyId.equals(t.keyId)
                && signerKeyId.equals(t.signerKeyId) && Arrays.equals(statement, t.statement)
                && MessageDigest.isEqual(signature, t.signature) && createdAt.equals(t.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequence, type, keyId);
    }

    @Override
    public String toString() {
        return "TrustStatement[" + sequence + " " + type + " " + keyId + " by " + signerKeyId + "]";
    }
}
