package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.agent.files.Digests;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.core.wire.TrustStatement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this agent trusts (docs/manifests.md, "Trust statements"): the server keys it knows, each {@code active},
 * {@code retired} (a rotation replaced it) or {@code revoked}; the offline root, when its installer carried one, with
 * the root's delegation (and its expiry) of each key; and the trust version, the sequence of the newest statement it
 * applied. It starts from the installer's {@code etc/trust.json} and changes only through statements signed by a key
 * it already trusts ({@link #apply}); a statement that does not verify changes nothing.
 *
 * <p>A manifest is accepted only from a key that is active, not revoked, and, under a root, delegated by the root
 * until after now ({@link #manifestKey}). Not thread-safe: {@link TrustStore} owns the copies and replaces them whole.
 */
final class TrustAnchors {
    static final String ROTATION_TYPE = "printmaster.key-rotation.v1";
    static final String DELEGATION_TYPE = "printmaster.key-delegation.v1";
    static final String REVOCATION_TYPE = "printmaster.key-revocation.v1";
    static final String STATE_FORMAT = "printmaster.agent-trust.v1";
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key (RFC 8410). */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    enum State { ACTIVE, RETIRED, REVOKED }

    /** One key as this agent sees it; {@code raw} is null for a revoked key it never knew. */
    private static final class Key {
        byte[] raw;
        State state;
        Instant delegatedUntil;
        Instant delegationIssuedAt;
        String note;

        Key(byte[] raw, State state) {
            this.raw = raw;
            this.state = state;
        }

        Key copy() {
            Key k = new Key(raw, state);
            k.delegatedUntil = delegatedUntil;
            k.delegationIssuedAt = delegationIssuedAt;
            k.note = note;
            return k;
        }
    }

    /** What {@link #apply} did with a statement. */
    enum Result {
        /** It verified and changed what this agent trusts; the trust version moved to its sequence. */
        APPLIED,
        /** It is not for this agent (a delegation without a root) or repeats what it holds: the version moves on. */
        SKIPPED,
        /** It does not verify, or is out of order within an answer: nothing changed, not even the version. */
        IGNORED,
        /**
         * Its sequence is not above the trust version: held already (an agent that checked in before its worker
         * started reports version 0 and is sent everything again), or replayed. Nothing changes.
         */
        HELD
    }

    /** The outcome and why, for the log. */
    record Outcome(Result result, String reason) {
    }

    private final SigningProvider verifier;
    private final Map<String, Key> keys = new LinkedHashMap<>();
    private String rootId;
    private byte[] rootKey;
    private long trustVersion;

    private TrustAnchors(SigningProvider verifier) {
        this.verifier = verifier;
    }

    TrustAnchors copy() {
        TrustAnchors c = new TrustAnchors(verifier);
        keys.forEach((id, k) -> c.keys.put(id, k.copy()));
        c.rootId = rootId;
        c.rootKey = rootKey;
        c.trustVersion = trustVersion;
        return c;
    }

    /**
     * The anchors in an installer's {@code trust.json}: format 2 ({@code trust_version}, the active key, the root,
     * the statements the agent needs) or the older format 1 (every key with its {@code active} flag, plus rotation
     * statements, followed in order).
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} when the document is not valid or trusts no key and no root (the
     *                       agent could then verify nothing: fail closed, loudly)
     */
    static TrustAnchors fromTrustFile(byte[] trustJson, SigningProvider verifier) throws UpdateFailure {
        TrustAnchors anchors = new TrustAnchors(verifier);
        JsonNode root = read(trustJson, "trust.json");
        if (!root.path("keys").isArray()) {
            throw new UpdateFailure("MANIFEST_ERROR", "trust.json has no \"keys\" list");
        }
        JsonNode rootNode = root.path("root");
        if (rootNode.isObject()) {
            String id = rootNode.path("id").asText("");
            byte[] raw = rawKeyFromPem(rootNode.path("public_key_pem").asText(""))
                    .orElseThrow(() -> new UpdateFailure("MANIFEST_ERROR", "trust.json root has no Ed25519 public key PEM"));
            if (!keyIdMatches(id, raw)) {
                throw new UpdateFailure("MANIFEST_ERROR", "trust.json root '" + id + "' does not match its public key");
            }
            anchors.rootId = id;
            anchors.rootKey = raw;
        }
        for (JsonNode key : root.get("keys")) {
            String id = key.path("id").asText("");
            byte[] raw = rawKeyFromPem(key.path("public_key_pem").asText(""))
                    .orElseThrow(() -> new UpdateFailure("MANIFEST_ERROR", "trust.json key '" + id
                            + "' has no Ed25519 public key PEM"));
            if (!keyIdMatches(id, raw)) {
                throw new UpdateFailure("MANIFEST_ERROR", "trust.json key '" + id + "' does not match its public key");
            }
            // format 1 listed retired keys too, flagged inactive
            State state = key.path("active").asBoolean(true) ? State.ACTIVE : State.RETIRED;
            anchors.keys.put(id, new Key(raw, state));
        }
        if (anchors.keys.isEmpty() && anchors.rootKey == null) {
            throw new UpdateFailure("MANIFEST_ERROR", "trust.json trusts no key: reinstall the agent from an installer"
                    + " the server built");
        }
        for (JsonNode rotation : root.path("rotations")) {
            byte[] statement = decode(rotation.path("statement_base64").asText(""));
            byte[] signature = decode(rotation.path("signature").asText(""));
            anchors.learn(rotation.path("old_key_id").asText(""), statement, signature);
        }
        // the statements the installer carried are older than its trust version: applied in order, then the version
        for (JsonNode s : root.path("statements")) {
            anchors.apply(new TrustStatement(s.path("sequence").asLong(0), s.path("type").asText(""),
                    s.path("key_id").asText(""), null, s.path("statement_base64").asText(""),
                    s.path("signature").asText("")), Instant.now(), true);
        }
        anchors.trustVersion = Math.max(anchors.trustVersion, root.path("trust_version").asLong(0));
        return anchors;
    }

    /** The anchors as {@link #toState()} wrote them. */
    static TrustAnchors fromState(byte[] stateJson, SigningProvider verifier) throws UpdateFailure {
        JsonNode root = read(stateJson, "the trust state");
        if (!STATE_FORMAT.equals(root.path("format").asText())) {
            throw new UpdateFailure("MANIFEST_ERROR", "the trust state is not " + STATE_FORMAT);
        }
        TrustAnchors anchors = new TrustAnchors(verifier);
        anchors.trustVersion = root.path("trust_version").asLong(0);
        if (root.path("root").isObject()) {
            anchors.rootId = root.path("root").path("id").asText("");
            anchors.rootKey = decode(root.path("root").path("public_key").asText(""));
            if (anchors.rootKey == null || !keyIdMatches(anchors.rootId, anchors.rootKey)) {
                throw new UpdateFailure("MANIFEST_ERROR", "the trust state's root does not match its public key");
            }
        }
        for (JsonNode k : root.path("keys")) {
            String id = k.path("id").asText("");
            byte[] raw = decode(k.path("public_key").asText(""));
            if (raw != null && !keyIdMatches(id, raw)) {
                throw new UpdateFailure("MANIFEST_ERROR", "the trust state's key '" + id + "' does not match its public key");
            }
            State state;
            try {
                state = State.valueOf(k.path("state").asText("").toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UpdateFailure("MANIFEST_ERROR", "the trust state's key '" + id + "' has no known state");
            }
            if (raw == null && state != State.REVOKED) {
                throw new UpdateFailure("MANIFEST_ERROR", "the trust state's key '" + id + "' has no public key");
            }
            Key key = new Key(raw, state);
            key.delegatedUntil = instantOrNull(k.path("delegated_until").asText(null));
            key.delegationIssuedAt = instantOrNull(k.path("delegation_issued_at").asText(null));
            key.note = k.path("note").asText(null);
            anchors.keys.put(id, key);
        }
        return anchors;
    }

    /** The persisted form ({@code <data>/update/trust-state.json}). */
    byte[] toState() {
        ObjectNode out = JSON.createObjectNode();
        out.put("format", STATE_FORMAT);
        out.put("trust_version", trustVersion);
        if (rootKey != null) {
            out.putObject("root").put("id", rootId).put("public_key", Base64.getEncoder().encodeToString(rootKey));
        } else {
            out.putNull("root");
        }
        ArrayNode list = out.putArray("keys");
        keys.forEach((id, k) -> {
            ObjectNode n = list.addObject();
            n.put("id", id);
            n.put("public_key", k.raw == null ? null : Base64.getEncoder().encodeToString(k.raw));
            n.put("state", k.state.name().toLowerCase(java.util.Locale.ROOT));
            n.put("delegated_until", k.delegatedUntil == null ? null : k.delegatedUntil.toString());
            n.put("delegation_issued_at", k.delegationIssuedAt == null ? null : k.delegationIssuedAt.toString());
            n.put("note", k.note);
        });
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(out);
        } catch (IOException e) {
            throw new IllegalStateException("the trust state cannot be written as JSON", e);
        }
    }

    long trustVersion() {
        return trustVersion;
    }

    Optional<String> rootId() {
        return Optional.ofNullable(rootId);
    }

    /**
     * Applies one statement of a check-in answer, verified against what this agent trusts now.
     *
     * @param now the time a delegation's expiry is compared with
     */
    Outcome apply(TrustStatement wire, Instant now) {
        return apply(wire, now, false);
    }

    private Outcome apply(TrustStatement wire, Instant now, boolean fromInstaller) {
        if (!fromInstaller && wire.sequence() <= trustVersion) {
            return new Outcome(Result.HELD, "sequence " + wire.sequence() + " is not newer than the held trust version "
                    + trustVersion + " (held already, replayed or out of order)");
        }
        byte[] statement = decode(wire.statementBase64() == null ? "" : wire.statementBase64());
        byte[] signature = decode(wire.signature() == null ? "" : wire.signature());
        if (statement == null || signature == null || signature.length != 64) {
            return ignored("statement_base64 or signature is not base64 of a statement and a 64-byte signature");
        }
        JsonNode s;
        try {
            s = JSON.readTree(statement);
        } catch (IOException e) {
            return ignored("the statement is not JSON");
        }
        if (s == null || !s.isObject()) {
            return ignored("the statement is not a JSON object");
        }
        String type = s.path("type").asText("");
        String expectedWireType = switch (type) {
            case ROTATION_TYPE -> TrustStatement.ROTATION;
            case DELEGATION_TYPE -> TrustStatement.DELEGATION;
            case REVOCATION_TYPE -> TrustStatement.REVOCATION;
            default -> null;
        };
        if (expectedWireType == null) {
            return ignored("the statement's type '" + type + "' is not one this agent knows");
        }
        if (wire.type() != null && !wire.type().isEmpty() && !wire.type().equals(expectedWireType)) {
            return ignored("the answer calls it a " + wire.type() + " but the signed statement is a " + expectedWireType);
        }
        Outcome outcome = switch (expectedWireType) {
            case TrustStatement.ROTATION -> rotation(s, statement, signature, now);
            case TrustStatement.DELEGATION -> delegation(s, statement, signature);
            default -> revocation(s, statement, signature, now);
        };
        if (outcome.result() == Result.APPLIED || outcome.result() == Result.SKIPPED) {
            trustVersion = Math.max(trustVersion, wire.sequence());
        }
        return outcome;
    }

    /**
     * A rotation: the old key, active here, signs the new key. Without a root the new key becomes active; under a
     * root it must already hold the root's delegation (the server posts it first), and the rotation only retires the
     * old key. Either way the old key signs nothing more for this agent.
     */
    private Outcome rotation(JsonNode s, byte[] statement, byte[] signature, Instant now) {
        String oldId = s.path("old_key_id").asText("");
        Key old = keys.get(oldId);
        if (old == null || old.raw == null) {
            return ignored("rotation signed by unknown key '" + oldId + "'");
        }
        if (old.state != State.ACTIVE) {
            return ignored("rotation signed by key " + oldId + ", which is " + old.state.name().toLowerCase(java.util.Locale.ROOT)
                    + " here (only an active key may hand over)");
        }
        if (!verifies(old.raw, statement, signature)) {
            return ignored("rotation signature does not verify with key " + oldId);
        }
        String newId = s.path("new_key_id").asText("");
        byte[] newKey = decode(s.path("new_public_key").asText(""));
        if (newKey == null || newKey.length != 32 || !keyIdMatches(newId, newKey)) {
            return ignored("rotation names key '" + newId + "' with a public key that does not give that id");
        }
        Key next = keys.get(newId);
        if (next != null && next.state == State.REVOKED) {
            return ignored("rotation to key " + newId + ", which is revoked");
        }
        if (rootKey != null && (next == null || next.delegatedUntil == null || !next.delegatedUntil.isAfter(now))) {
            return ignored("rotation to key " + newId + ", which the root of trust has not delegated (or whose "
                    + "delegation expired): under a root, a rotation cannot make a key trusted");
        }
        if (next == null) {
            next = new Key(newKey, State.ACTIVE);
            keys.put(newId, next);
        }
        next.state = State.ACTIVE;
        old.state = State.RETIRED;
        old.note = "retired by the rotation to " + newId;
        return new Outcome(Result.APPLIED, "key " + oldId + " retired, key " + newId + " active");
    }

    /** A delegation: the root authorizes a key until an expiry; the newest issued one counts. */
    private Outcome delegation(JsonNode s, byte[] statement, byte[] signature) {
        if (rootKey == null) {
            return new Outcome(Result.SKIPPED, "a delegation, and this agent has no root of trust (its installer was "
                    + "made before the root was configured): it follows the chain of rotations");
        }
        String signer = s.path("root_key_id").asText("");
        if (!rootId.equals(signer)) {
            return ignored("delegation by root '" + signer + "', not this agent's root " + rootId);
        }
        if (!verifies(rootKey, statement, signature)) {
            return ignored("delegation signature does not verify with the root key " + rootId);
        }
        String id = s.path("key_id").asText("");
        byte[] raw = decode(s.path("public_key").asText(""));
        if (raw == null || raw.length != 32 || !keyIdMatches(id, raw)) {
            return ignored("delegation names key '" + id + "' with a public key that does not give that id");
        }
        Instant issued = instantOrNull(s.path("issued_at").asText(null));
        Instant expires = instantOrNull(s.path("expires_at").asText(null));
        if (issued == null || expires == null) {
            return ignored("delegation without a valid issued_at and expires_at");
        }
        Key key = keys.get(id);
        if (key != null && key.state == State.REVOKED) {
            return ignored("delegation of key " + id + ", which is revoked");
        }
        if (key == null) {
            key = new Key(raw, State.ACTIVE);
            keys.put(id, key);
        } else if (key.raw == null) {
            key.raw = raw;
        }
        if (key.delegationIssuedAt != null && !issued.isAfter(key.delegationIssuedAt)) {
            return new Outcome(Result.SKIPPED, "delegation of key " + id + " issued " + issued
                    + ", not newer than the one held (issued " + key.delegationIssuedAt + ")");
        }
        key.delegationIssuedAt = issued;
        key.delegatedUntil = expires;
        return new Outcome(Result.APPLIED, "key " + id + " delegated by the root until " + expires);
    }

    /** A revocation, signed by the root or by a key this agent uses (never one it has retired or revoked). */
    private Outcome revocation(JsonNode s, byte[] statement, byte[] signature, Instant now) {
        String signer = s.path("signer_key_id").asText("");
        byte[] signerKey;
        if (rootKey != null && rootId.equals(signer)) {
            signerKey = rootKey;
        } else {
            Optional<String> unusable = unusable(signer, now);
            if (unusable.isPresent()) {
                return ignored("revocation signed by key '" + signer + "': " + unusable.get());
            }
            signerKey = keys.get(signer).raw;
        }
        if (!verifies(signerKey, statement, signature)) {
            return ignored("revocation signature does not verify with key " + signer);
        }
        String id = s.path("key_id").asText("");
        if (id.isEmpty()) {
            return ignored("revocation names no key_id");
        }
        Key key = keys.computeIfAbsent(id, k -> new Key(null, State.REVOKED));
        if (key.state == State.REVOKED && key.note != null) {
            return new Outcome(Result.SKIPPED, "key " + id + " was already revoked");
        }
        key.state = State.REVOKED;
        key.note = "revoked by " + signer + ": " + s.path("reason").asText("");
        return new Outcome(Result.APPLIED, "key " + id + " revoked by " + signer);
    }

    /**
     * Follows one rotation statement of a format-1 {@code trust.json}.
     *
     * @return the key it made trusted, or empty with nothing changed when it is not signed by a trusted, active key,
     *         is malformed, or names a key whose hash does not give its id
     */
    Optional<String> learn(String oldKeyId, byte[] statement, byte[] signature) {
        if (statement == null || signature == null) {
            return Optional.empty();
        }
        JsonNode s;
        try {
            s = JSON.readTree(statement);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (s == null || !ROTATION_TYPE.equals(s.path("type").asText()) || !oldKeyId.equals(s.path("old_key_id").asText())) {
            return Optional.empty();
        }
        Outcome o = rotation(s, statement, signature, Instant.now());
        return o.result() == Result.APPLIED ? Optional.of(s.path("new_key_id").asText()) : Optional.empty();
    }

    /**
     * The raw public key of the key that signed a manifest, when this agent accepts manifests from it now.
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} naming why not: unknown, retired by a rotation, revoked, never
     *                       delegated by the root, or delegated until a time that has passed
     */
    byte[] manifestKey(String keyId, Instant now) throws UpdateFailure {
        Optional<String> why = unusable(keyId, now);
        if (why.isPresent()) {
            throw new UpdateFailure("MANIFEST_ERROR", "the manifest is signed by key '" + keyId + "', " + why.get());
        }
        return keys.get(keyId).raw.clone();
    }

    /** Why {@code keyId} may not sign for this agent now, or empty when it may. */
    private Optional<String> unusable(String keyId, Instant now) {
        Key k = keys.get(keyId);
        if (k == null || k.raw == null && k.state != State.REVOKED) {
            return Optional.of("which this agent does not trust (trusted: " + usableIds(now) + ")");
        }
        return switch (k.state) {
            case REVOKED -> Optional.of("which was revoked (" + k.note + ")");
            case RETIRED -> Optional.of("which a rotation retired (" + k.note + "): the server must re-sign with its "
                    + "active key");
            case ACTIVE -> {
                if (rootKey == null) {
                    yield Optional.empty();
                }
                if (k.delegatedUntil == null) {
                    yield Optional.of("which the root of trust " + rootId + " never delegated");
                }
                if (!now.isBefore(k.delegatedUntil)) {
                    yield Optional.of("whose delegation by the root of trust expired at " + k.delegatedUntil);
                }
                yield Optional.empty();
            }
        };
    }

    /** The key ids manifests are accepted from now. */
    Set<String> usableIds(Instant now) {
        Set<String> ids = new java.util.LinkedHashSet<>();
        for (Map.Entry<String, Key> e : keys.entrySet()) {
            Key k = e.getValue();
            if (k.state == State.ACTIVE && k.raw != null
                    && (rootKey == null || k.delegatedUntil != null && now.isBefore(k.delegatedUntil))) {
                ids.add(e.getKey());
            }
        }
        return Collections.unmodifiableSet(ids);
    }

    /** The raw public key of a known key id, whatever its state. */
    Optional<byte[]> key(String keyId) {
        Key k = keys.get(keyId);
        return k == null || k.raw == null ? Optional.empty() : Optional.of(k.raw.clone());
    }

    /** Every key id this agent knows, in the order it learned them. */
    Set<String> keyIds() {
        return Collections.unmodifiableSet(keys.keySet());
    }

    /** A key's state here, for tests and the log. */
    Optional<State> state(String keyId) {
        return Optional.ofNullable(keys.get(keyId)).map(k -> k.state);
    }

    private boolean verifies(byte[] key, byte[] statement, byte[] signature) {
        try {
            return verifier.verify(key, statement, signature);
        } catch (SigningException | RuntimeException e) {
            return false;
        }
    }

    private static Outcome ignored(String reason) {
        return new Outcome(Result.IGNORED, reason);
    }

    private static JsonNode read(byte[] json, String what) throws UpdateFailure {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new UpdateFailure("MANIFEST_ERROR", what + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new UpdateFailure("MANIFEST_ERROR", what + " is not a JSON object");
        }
        return root;
    }

    private static Instant instantOrNull(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
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
            return base64 == null || base64.isEmpty() ? null
                    : Base64.getDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
