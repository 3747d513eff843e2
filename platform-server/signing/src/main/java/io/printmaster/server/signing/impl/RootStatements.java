package io.printmaster.server.signing.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.server.signing.api.CanonicalJson;
import io.printmaster.server.signing.api.StatementRefusedException;
import io.printmaster.server.signing.api.TrustStatement;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * Reads and checks a statement the offline root signed (as {@code ./pm keys delegate|revoke} writes it), before the
 * server stores anything: canonical JSON of string members only, the type, the root's key id against the root's
 * public key, the signature with that key. Each refusal names the member that does not verify.
 */
final class RootStatements {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    /** A delegation: the root authorizes {@code keyId} (its raw {@code publicKey}) until {@code expiresAt}. */
    record Delegation(String rootKeyId, byte[] rootPublicKey, String keyId, byte[] publicKey, Instant issuedAt,
                      Instant expiresAt) {
    }

    /** A revocation signed by {@code signerKeyId} (the root, for a posted one). */
    record Revocation(String keyId, String signerKeyId, String reason) {
    }

    private RootStatements() {
    }

    /** The statement's {@code type} member ({@link TrustStatement#DELEGATION_TYPE} or the revocation's). */
    static String type(Map<String, String> statement) {
        return statement.getOrDefault("type", "");
    }

    /**
     * The members of a posted statement.
     *
     * @throws StatementRefusedException {@code statement_base64} when the bytes are not canonical JSON of strings
     */
    static Map<String, String> members(byte[] statement) throws StatementRefusedException {
        Map<String, Object> parsed;
        try {
            parsed = JSON.readValue(statement, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new StatementRefusedException("statement_base64", "the statement is not a JSON object");
        }
        if (parsed == null) {
            throw new StatementRefusedException("statement_base64", "the statement is not a JSON object");
        }
        for (Map.Entry<String, Object> e : parsed.entrySet()) {
            if (!(e.getValue() instanceof String)) {
                throw new StatementRefusedException("statement_base64", "member '" + e.getKey() + "' is not a string");
            }
        }
        if (!Arrays.equals(CanonicalJson.bytes(parsed), statement)) {
            throw new StatementRefusedException("statement_base64", "the statement is not canonical JSON (members "
                    + "sorted by name, no whitespace): sign it with ./pm keys");
        }
        @SuppressWarnings("unchecked")
        Map<String, String> strings = (Map<String, String>) (Map<?, ?>) parsed;
        return strings;
    }

    /** A delegation whose root key id matches its root key and whose signature verifies with that key. */
    static Delegation delegation(Map<String, String> s, byte[] statement, byte[] signature, SigningProvider provider,
                                 Instant now) throws StatementRefusedException, SigningException {
        String rootId = required(s, "root_key_id");
        byte[] rootKey = rawKey(s, "root_public_key");
        if (!SigningKeyStore.keyId(rootKey).equals(rootId)) {
            throw new StatementRefusedException("root_key_id", "root_key_id " + rootId
                    + " is not the id of root_public_key");
        }
        if (!provider.verify(rootKey, statement, signature)) {
            throw new StatementRefusedException("signature", "the signature does not verify with the root key " + rootId);
        }
        String keyId = required(s, "key_id");
        byte[] key = rawKey(s, "public_key");
        if (!SigningKeyStore.keyId(key).equals(keyId)) {
            throw new StatementRefusedException("key_id", "key_id " + keyId + " is not the id of public_key");
        }
        Instant issued = instant(s, "issued_at");
        Instant expires = instant(s, "expires_at");
        if (!expires.isAfter(now)) {
            throw new StatementRefusedException("expires_at", "the delegation expired at " + expires);
        }
        if (!expires.isAfter(issued)) {
            throw new StatementRefusedException("expires_at", "expires_at is not after issued_at");
        }
        return new Delegation(rootId, rootKey, keyId, key, issued, expires);
    }

    /** A revocation signed by {@code signerKey} (whose id the statement must name). */
    static Revocation revocation(Map<String, String> s, byte[] statement, byte[] signature, String signerId,
                                 byte[] signerKey, SigningProvider provider)
            throws StatementRefusedException, SigningException {
        String signer = required(s, "signer_key_id");
        if (!signer.equals(signerId)) {
            throw new StatementRefusedException("signer_key_id", "the revocation is signed by '" + signer
                    + "', not by the configured root " + signerId);
        }
        if (!provider.verify(signerKey, statement, signature)) {
            throw new StatementRefusedException("signature", "the signature does not verify with the root key " + signerId);
        }
        return new Revocation(required(s, "key_id"), signer, s.getOrDefault("reason", ""));
    }

    private static String required(Map<String, String> s, String member) throws StatementRefusedException {
        String v = s.get(member);
        if (v == null || v.isBlank()) {
            throw new StatementRefusedException(member, member + " is missing from the statement");
        }
        return v;
    }

    private static byte[] rawKey(Map<String, String> s, String member) throws StatementRefusedException {
        try {
            byte[] raw = Base64.getDecoder().decode(required(s, member));
            if (raw.length == 32) {
                return raw;
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new StatementRefusedException(member, member + " is not a base64 raw Ed25519 public key (32 bytes)");
    }

    private static Instant instant(Map<String, String> s, String member) throws StatementRefusedException {
        try {
            return Instant.parse(required(s, member));
        } catch (DateTimeParseException e) {
            throw new StatementRefusedException(member, member + " is not an ISO-8601 instant");
        }
    }
}
