package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.files.Digests;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The server keys this agent trusts: the ones its installer carried ({@code etc/trust.json}), plus every key a
 * trusted key vouched for in a rotation statement. A statement is accepted only when it is signed by a key already
 * trusted and the new key's SHA-256 starts with the {@code new_key_id} it claims; anything else is ignored with a
 * reason (a forged statement must not add trust, and must not remove it either). Not thread-safe: the worker owns
 * one and replaces it whole.
 */
final class TrustAnchors {
    static final String ROTATION_TYPE = "printmaster.key-rotation.v1";
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key (RFC 8410). */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final SigningProvider verifier;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();

    private TrustAnchors(SigningProvider verifier) {
        this.verifier = verifier;
    }

    /**
     * The anchors in a {@code trust.json} document: its keys, then its rotation statements followed in order.
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} when the document is not valid or trusts no key at all (the agent
     *                       could then verify nothing: fail closed, loudly)
     */
    static TrustAnchors fromTrustFile(byte[] trustJson, SigningProvider verifier) throws UpdateFailure {
        TrustAnchors anchors = new TrustAnchors(verifier);
        JsonNode root;
        try {
            root = JSON.readTree(trustJson);
        } catch (IOException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "trust.json is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.path("keys").isArray()) {
            throw new UpdateFailure("MANIFEST_ERROR", "trust.json has no \"keys\" list");
        }
        for (JsonNode key : root.get("keys")) {
            String id = key.path("id").asText("");
            byte[] raw = rawKeyFromPem(key.path("public_key_pem").asText(""))
                    .orElseThrow(() -> new UpdateFailure("MANIFEST_ERROR", "trust.json key '" + id
                            + "' has no Ed25519 public key PEM"));
            if (!keyIdMatches(id, raw)) {
                throw new UpdateFailure("MANIFEST_ERROR", "trust.json key '" + id + "' does not match its public key");
            }
            anchors.keys.put(id, raw);
        }
        if (anchors.keys.isEmpty()) {
            throw new UpdateFailure("MANIFEST_ERROR", "trust.json trusts no key: reinstall the agent from an installer"
                    + " the server built");
        }
        for (JsonNode rotation : root.path("rotations")) {
            byte[] statement = decode(rotation.path("statement_base64").asText(""));
            byte[] signature = decode(rotation.path("signature").asText(""));
            anchors.learn(rotation.path("old_key_id").asText(""), statement, signature);
        }
        return anchors;
    }

    /**
     * Follows one rotation statement.
     *
     * @return the key it made trusted, or empty with nothing changed when it is not signed by a trusted key, is
     *         malformed, or names a key whose hash does not give its id
     */
    Optional<String> learn(String oldKeyId, byte[] statement, byte[] signature) {
        byte[] oldKey = keys.get(oldKeyId);
        if (oldKey == null || statement == null || signature == null) {
            return Optional.empty();
        }
        try {
            if (!verifier.verify(oldKey, statement, signature)) {
                return Optional.empty();
            }
            JsonNode s = JSON.readTree(statement);
            if (!ROTATION_TYPE.equals(s.path("type").asText()) || !oldKeyId.equals(s.path("old_key_id").asText())) {
                return Optional.empty();
            }
            String newId = s.path("new_key_id").asText("");
            byte[] newKey = decode(s.path("new_public_key").asText(""));
            if (newKey == null || newKey.length != 32 || !keyIdMatches(newId, newKey)) {
                return Optional.empty();
            }
            keys.putIfAbsent(newId, newKey);
            return Optional.of(newId);
        } catch (SigningException | IOException e) {
            return Optional.empty();
        }
    }

    /** The raw public key of a trusted key id. */
    Optional<byte[]> key(String keyId) {
        return Optional.ofNullable(keys.get(keyId)).map(byte[]::clone);
    }

    /** The trusted key ids, in the order they became trusted. */
    java.util.Set<String> keyIds() {
        return java.util.Collections.unmodifiableSet(keys.keySet());
    }

    /** The raw 32-byte key inside an Ed25519 public key PEM, or empty when it is something else. */
    static Optional<byte[]> rawKeyFromPem(String pem) {
        String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
                .replaceAll("\\s", "");
        byte[] der = decode(body);
        if (der == null || der.length != ED25519_SPKI_PREFIX.length + 32
                || !Arrays.equals(der, 0, ED25519_SPKI_PREFIX.length, ED25519_SPKI_PREFIX, 0, ED25519_SPKI_PREFIX.length)) {
            return Optional.empty();
        }
        return Optional.of(Arrays.copyOfRange(der, ED25519_SPKI_PREFIX.length, der.length));
    }

    /** A key id is the first 16 hex digits of the SHA-256 of the raw public key (docs/manifests.md). */
    static boolean keyIdMatches(String keyId, byte[] rawKey) {
        String hex = Digests.sha256Hex(rawKey);
        return keyId.length() >= 16 && hex.startsWith(keyId);
    }

    private static byte[] decode(String base64) {
        try {
            return base64.isEmpty() ? null : Base64.getDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
