package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.core.wire.TrustStatement;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust statements an agent receives at check-in (docs/manifests.md, "Trust statements"): each verified against
 * what the agent already trusts; a forged, mis-signed, replayed or out-of-order one changes nothing; rotations retire,
 * revocations revoke, and under a root only delegated, unexpired keys sign manifests. The state survives a restart
 * ({@link TrustStore}).
 */
class TrustStatementsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
    private static final ManifestVerifier.Expectation LINUX_AGENT =
            new ManifestVerifier.Expectation("agent", "linux", "amd64", 0);

    private final SigningProvider jdk = new JdkSigningProvider();
    private final ManifestVerifier verifier = new ManifestVerifier(jdk);
    private final KeyMaterial first = generate();
    private final KeyMaterial second = generate();
    private final KeyMaterial third = generate();
    private final KeyMaterial attacker = generate();
    private final KeyMaterial root = generate();

    @TempDir
    Path dir;

    @Test
    void aRotationRetiresTheOldKeyAndTheNewOneSignsFromThenOn() throws Exception {
        TrustAnchors trust = chainTrust(first, 0);
        assertApplied(trust.apply(rotation(1, first, second), NOW));
        assertEquals(1, trust.trustVersion());
        assertAccepted(trust, second);
        assertRefused(trust, first, "which a rotation retired");
        // the chain goes on: only the active key may hand over
        assertApplied(trust.apply(rotation(2, second, third), NOW));
        assertAccepted(trust, third);
        assertRefused(trust, second, "which a rotation retired");
    }

    @Test
    void aForgedOrMisSignedStatementChangesNothing() throws Exception {
        TrustAnchors trust = chainTrust(first, 0);
        // signed by a key the agent does not know
        assertIgnored(trust.apply(rotation(1, attacker, second), NOW), "unknown key");
        // claims the trusted key as signer, signed by another
        TrustStatement misSigned = signedBy(rotation(1, first, attacker), attacker);
        assertIgnored(trust.apply(misSigned, NOW), "does not verify");
        // a byte changed after signing
        TrustStatement good = rotation(1, first, second);
        String tampered = Base64.getEncoder().encodeToString(new String(Base64.getDecoder()
                .decode(good.statementBase64()), StandardCharsets.UTF_8).replace("2026", "2027")
                .getBytes(StandardCharsets.UTF_8));
        assertIgnored(trust.apply(new TrustStatement(1, "rotation", good.keyId(), null, tampered, good.signature()), NOW),
                "does not verify");
        // the new key's id is not its public key's
        Map<String, Object> lying = rotationMembers(first, second);
        lying.put("new_key_id", keyId(attacker));
        assertIgnored(trust.apply(statement(1, "rotation", lying, first), NOW), "does not give that id");
        assertEquals(0, trust.trustVersion(), "the version did not move");
        assertAccepted(trust, first);
        assertRefused(trust, second, "does not trust");
        assertRefused(trust, attacker, "does not trust");
    }

    @Test
    void replayedAndOutOfOrderStatementsAreIgnored() throws Exception {
        TrustAnchors trust = chainTrust(first, 0);
        TrustStatement one = rotation(1, first, second);
        assertApplied(trust.apply(one, NOW));
        assertHeld(trust.apply(one, NOW), "not newer than the held trust version 1");
        // the same statement under a new sequence: the retired key cannot hand over again
        assertIgnored(trust.apply(rotation(5, first, attacker), NOW), "which is retired here");
        // older than what is held (the server sends them oldest first: a lower number after a higher one)
        TrustStatement three = rotation(3, second, third);
        TrustStatement two = revocation(2, "0123456789abcdef", second);
        assertApplied(trust.apply(three, NOW));
        assertHeld(trust.apply(two, NOW), "replayed or out of order");
        assertEquals(3, trust.trustVersion());
        assertAccepted(trust, third);
    }

    @Test
    void aRevokedKeyIsRefusedWhateverItSigned() throws Exception {
        TrustAnchors trust = chainTrust(first, 0);
        assertApplied(trust.apply(rotation(1, first, second), NOW));
        assertApplied(trust.apply(revocation(2, keyId(first), second), NOW));
        assertRefused(trust, first, "which was revoked");
        // a revoked (or retired) key cannot revoke the active one
        assertIgnored(trust.apply(revocation(3, keyId(second), first), NOW), "which was revoked");
        assertAccepted(trust, second);
        // and a revoked key cannot come back through a rotation
        assertIgnored(trust.apply(rotation(4, second, first), NOW), "which is revoked");
    }

    @Test
    void underARootOnlyDelegatedUnexpiredKeysSign() throws Exception {
        TrustAnchors trust = rootTrust(first, NOW.plusSeconds(3600), 4);
        assertEquals(4, trust.trustVersion(), "the installer's trust version");
        assertAccepted(trust, first);
        // a server-made key without a delegation: a rotation does not make it trusted under a root
        assertIgnored(trust.apply(rotation(5, first, second), NOW), "has not delegated");
        assertRefused(trust, second, "does not trust");
        // a delegation by another root is ignored
        assertIgnored(trust.apply(delegation(5, attacker, second, NOW, NOW.plusSeconds(60)), NOW), "not this agent's root");
        // with its delegation, then the rotation, the new key signs and the old one is retired
        assertApplied(trust.apply(delegation(6, root, second, NOW, NOW.plusSeconds(7200)), NOW));
        assertApplied(trust.apply(rotation(7, first, second), NOW));
        assertAccepted(trust, second);
        assertRefused(trust, first, "which a rotation retired");
        // after its delegation expires, the key signs nothing for this agent
        UpdateFailure expired = assertThrows(UpdateFailure.class, () -> verify(trust, second, NOW.plusSeconds(7200)));
        assertTrue(expired.getMessage().contains("whose delegation by the root of trust expired at"), expired.getMessage());
        // the root revokes
        assertApplied(trust.apply(revocation(8, keyId(second), root), NOW));
        assertRefused(trust, second, "which was revoked");
    }

    @Test
    void anExpiredDelegationAndAnUndelegatedKeyInTheTrustFileAreRefused() throws Exception {
        TrustAnchors expired = rootTrust(first, NOW.minusSeconds(1), 1);
        UpdateFailure e = assertThrows(UpdateFailure.class, () -> verify(expired, first, NOW));
        assertTrue(e.getMessage().contains("expired at"), e.getMessage());
        // an older delegation replayed with a later sequence does not shorten or extend the newer one
        TrustAnchors trust = rootTrust(first, NOW.plusSeconds(3600), 1);
        TrustAnchors.Outcome older = trust.apply(delegation(2, root, first, NOW.minusSeconds(7200), NOW.plusSeconds(99999)),
                NOW);
        assertEquals(TrustAnchors.Result.SKIPPED, older.result(), older.reason());

        byte[] keyOnly = trustFile(first, root, List.of(), 0);
        UpdateFailure undelegated = assertThrows(UpdateFailure.class,
                () -> verify(TrustAnchors.fromTrustFile(keyOnly, jdk), first, NOW));
        assertTrue(undelegated.getMessage().contains("never delegated"), undelegated.getMessage());
    }

    @Test
    void anAgentWithoutARootSkipsDelegationsAndKeepsFollowingRotations() throws Exception {
        TrustAnchors trust = chainTrust(first, 0);
        TrustAnchors.Outcome skipped = trust.apply(delegation(1, root, first, NOW, NOW.plusSeconds(60)), NOW);
        assertEquals(TrustAnchors.Result.SKIPPED, skipped.result());
        assertEquals(1, trust.trustVersion(), "skipped statements are not sent again");
        assertApplied(trust.apply(rotation(2, first, second), NOW));
        assertAccepted(trust, second);
    }

    @Test
    void theStoreKeepsTheStateAcrossRestartsAndTakesANewerInstaller() throws Exception {
        Path installer = Files.write(dir.resolve("trust.json"), trustFile(first, null, List.of(), 0));
        Path state = dir.resolve("update/trust-state.json");
        TrustStore store = new TrustStore(installer, state, jdk, Clock.fixed(NOW, ZoneOffset.UTC));
        store.apply(List.of(rotation(1, first, second), rotation(2, attacker, third)));
        assertTrue(Files.isRegularFile(state));
        TrustStore restarted = new TrustStore(installer, state, jdk, Clock.fixed(NOW, ZoneOffset.UTC));
        assertEquals(1, restarted.trustVersion());
        assertAccepted(restarted.current(), second);
        assertRefused(restarted.current(), first, "which a rotation retired");
        assertRefused(restarted.current(), third, "does not trust");
        byte[] before = Files.readAllBytes(state);
        restarted.apply(List.of(rotation(3, attacker, third)));
        assertArrayEquals(before, Files.readAllBytes(state), "nothing applied, nothing written");

        // a damaged state is not permission to trust anything: the installer's trust counts again
        Files.writeString(state, new String(before, StandardCharsets.UTF_8).replace("\"retired\"", "\"trusted\""));
        assertEquals(0, restarted.trustVersion());
        assertAccepted(restarted.current(), first);
        assertRefused(restarted.current(), second, "does not trust");
        Files.write(state, before);

        // reinstalled from a newer installer over the same data folder: its trust counts
        Files.write(installer, trustFile(third, null, List.of(), 9));
        assertEquals(9, restarted.trustVersion());
        assertAccepted(restarted.current(), third);
    }

    // ---- statements, signed as the server and the root sign them --------------------------------------------------

    private TrustStatement rotation(long sequence, KeyMaterial oldKey, KeyMaterial newKey) throws Exception {
        return statement(sequence, "rotation", rotationMembers(oldKey, newKey), oldKey);
    }

    private Map<String, Object> rotationMembers(KeyMaterial oldKey, KeyMaterial newKey) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TrustAnchors.ROTATION_TYPE);
        m.put("old_key_id", keyId(oldKey));
        m.put("new_key_id", keyId(newKey));
        m.put("new_public_key", Base64.getEncoder().encodeToString(newKey.publicKey()));
        m.put("rotated_at", "2026-12-07T05:00:00Z");
        return m;
    }

    private TrustStatement revocation(long sequence, String keyId, KeyMaterial signer) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TrustAnchors.REVOCATION_TYPE);
        m.put("key_id", keyId);
        m.put("reason", "leaked");
        m.put("revoked_at", "2026-12-07T05:30:00Z");
        m.put("signer_key_id", keyId(signer));
        return statement(sequence, "revocation", m, signer);
    }

    private TrustStatement delegation(long sequence, KeyMaterial byRoot, KeyMaterial key, Instant issued, Instant expires)
            throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TrustAnchors.DELEGATION_TYPE);
        m.put("root_key_id", keyId(byRoot));
        m.put("root_public_key", Base64.getEncoder().encodeToString(byRoot.publicKey()));
        m.put("key_id", keyId(key));
        m.put("public_key", Base64.getEncoder().encodeToString(key.publicKey()));
        m.put("issued_at", issued.toString());
        m.put("expires_at", expires.toString());
        return statement(sequence, "delegation", m, byRoot);
    }

    private TrustStatement statement(long sequence, String type, Map<String, Object> members, KeyMaterial signer)
            throws Exception {
        byte[] bytes = JSON.writeValueAsBytes(new TreeMap<>(members));
        return new TrustStatement(sequence, type, String.valueOf(members.getOrDefault("new_key_id",
                members.get("key_id"))), new String(bytes, StandardCharsets.UTF_8),
                Base64.getEncoder().encodeToString(bytes), sign(signer, bytes));
    }

    private TrustStatement signedBy(TrustStatement s, KeyMaterial signer) throws Exception {
        return new TrustStatement(s.sequence(), s.type(), s.keyId(), s.statement(), s.statementBase64(),
                sign(signer, Base64.getDecoder().decode(s.statementBase64())));
    }

    // ---- trust files as the installer writes them --------------------------------------------------------------------

    private TrustAnchors chainTrust(KeyMaterial active, long version) throws Exception {
        return TrustAnchors.fromTrustFile(trustFile(active, null, List.of(), version), jdk);
    }

    private TrustAnchors rootTrust(KeyMaterial active, Instant delegatedUntil, long version) throws Exception {
        TrustStatement d = delegation(1, root, active, NOW.minusSeconds(3600), delegatedUntil);
        return TrustAnchors.fromTrustFile(trustFile(active, root, List.of(d), version), jdk);
    }

    private static byte[] trustFile(KeyMaterial active, KeyMaterial rootKey, List<TrustStatement> statements, long version)
            throws Exception {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("format", "printmaster.trust.v2");
        file.put("trust_version", version);
        file.put("keys", List.of(Map.of("id", keyId(active), "algorithm", "Ed25519", "public_key_pem", pem(active),
                "active", true)));
        file.put("root", rootKey == null ? null : Map.of("id", keyId(rootKey), "public_key_pem", pem(rootKey)));
        file.put("statements", statements.stream().map(s -> Map.of("sequence", s.sequence(), "type", s.type(),
                "key_id", s.keyId(), "statement", s.statement(), "statement_base64", s.statementBase64(),
                "signature", s.signature())).toList());
        return JSON.writeValueAsBytes(file);
    }

    // ---- manifests -----------------------------------------------------------------------------------------------------

    private void assertAccepted(TrustAnchors trust, KeyMaterial signer) throws Exception {
        assertEquals(keyId(signer), verify(trust, signer, NOW).keyId());
    }

    private void assertRefused(TrustAnchors trust, KeyMaterial signer, String why) {
        UpdateFailure e = assertThrows(UpdateFailure.class, () -> verify(trust, signer, NOW));
        assertEquals("MANIFEST_ERROR", e.code());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private VerifiedManifest verify(TrustAnchors trust, KeyMaterial signer, Instant now) throws Exception {
        Map<String, Object> m = new TreeMap<>(Map.ofEntries(
                Map.entry("manifest_version", 1), Map.entry("component", "agent"), Map.entry("version", "1.2.0"),
                Map.entry("platform", "linux"), Map.entry("arch", "amd64"), Map.entry("format", "tar.gz"),
                Map.entry("sha256", "ab".repeat(32)), Map.entry("size_bytes", 1234), Map.entry("release_counter", 3),
                Map.entry("generated_at", "2026-12-01T12:00:00Z"), Map.entry("expires_at", "2027-01-20T12:00:00Z"),
                Map.entry("key_id", keyId(signer))));
        byte[] bytes = JSON.writeValueAsBytes(m);
        return verifier.verify(bytes, sign(signer, bytes), trust, LINUX_AGENT, now);
    }

    private static void assertApplied(TrustAnchors.Outcome o) {
        assertEquals(TrustAnchors.Result.APPLIED, o.result(), o.reason());
    }

    private static void assertHeld(TrustAnchors.Outcome o, String why) {
        assertEquals(TrustAnchors.Result.HELD, o.result(), o.reason());
        assertTrue(o.reason().contains(why), o.reason());
    }

    private static void assertIgnored(TrustAnchors.Outcome o, String why) {
        assertEquals(TrustAnchors.Result.IGNORED, o.result(), o.reason());
        assertTrue(o.reason().contains(why), o.reason());
    }

    private String sign(KeyMaterial key, byte[] message) throws Exception {
        return Base64.getEncoder().encodeToString(jdk.sign(key.privateKey(), message));
    }

    private static String pem(KeyMaterial key) {
        byte[] spki = new byte[44];
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
        System.arraycopy(key.publicKey(), 0, spki, 12, 32);
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
    }

    private static KeyMaterial generate() {
        try {
            return new JdkSigningProvider().generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String keyId(KeyMaterial key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.publicKey())).substring(0, 16);
    }
}
