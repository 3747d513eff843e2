package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a manifest or a download is refused, each with its error code, and the rotation chain. */
class ManifestVerifierTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final ManifestVerifier.Expectation LINUX_AGENT =
            new ManifestVerifier.Expectation("agent", "linux", "amd64", 2);

    private final SigningProvider jdk = new JdkSigningProvider();
    private final ManifestVerifier verifier = new ManifestVerifier(jdk);
    private final KeyMaterial serverKey = generate();
    private final KeyMaterial otherKey = generate();

    @TempDir
    Path dir;

    @Test
    void aManifestSignedByATrustedKeyForThisAgentIsAccepted() throws Exception {
        byte[] m = manifest(serverKey, Map.of());
        VerifiedManifest v = verifier.verify(m, sign(serverKey, m), trust(serverKey), LINUX_AGENT, NOW);
        assertEquals("1.2.0", v.version());
        assertEquals(3, v.releaseCounter());
        assertEquals(keyId(serverKey), v.keyId());
    }

    @Test
    void oneChangedByteBreaksTheSignature() throws Exception {
        byte[] m = manifest(serverKey, Map.of());
        String signature = sign(serverKey, m);
        byte[] tampered = new String(m, StandardCharsets.UTF_8).replace("1.2.0", "1.3.0").getBytes(StandardCharsets.UTF_8);
        assertRefused("does not verify", () -> verifier.verify(tampered, signature, trust(serverKey), LINUX_AGENT, NOW));
    }

    @Test
    void aKeyTheAgentDoesNotTrustIsRefusedEvenWithAValidSignature() throws Exception {
        byte[] m = manifest(otherKey, Map.of());
        assertRefused("does not trust", () -> verifier.verify(m, sign(otherKey, m), trust(serverKey), LINUX_AGENT, NOW));
    }

    @Test
    void anotherPlatformAnExpiredManifestAndAnOlderCounterAreRefused() throws Exception {
        byte[] windows = manifest(serverKey, Map.of("platform", "windows"));
        assertRefused("this agent runs on linux-amd64",
                () -> verifier.verify(windows, sign(serverKey, windows), trust(serverKey), LINUX_AGENT, NOW));
        byte[] expired = manifest(serverKey, Map.of("expires_at", "2026-11-26T12:00:00Z"));
        assertRefused("expired", () -> verifier.verify(expired, sign(serverKey, expired), trust(serverKey), LINUX_AGENT, NOW));
        byte[] replayed = manifest(serverKey, Map.of("release_counter", 1));
        assertRefused("replayed older manifest",
                () -> verifier.verify(replayed, sign(serverKey, replayed), trust(serverKey), LINUX_AGENT, NOW));
        byte[] otherComponent = manifest(serverKey, Map.of("component", "server"));
        assertRefused("component 'server'",
                () -> verifier.verify(otherComponent, sign(serverKey, otherComponent), trust(serverKey), LINUX_AGENT, NOW));
        byte[] future = manifest(serverKey, Map.of("manifest_version", 2));
        assertRefused("manifest_version", () -> verifier.verify(future, sign(serverKey, future), trust(serverKey), LINUX_AGENT, NOW));
    }

    @Test
    void aManifestValidLongerThanNinetyDaysOrWithoutSigningTimeIsRefused() throws Exception {
        byte[] longLived = manifest(serverKey, Map.of("generated_at", "2026-11-20T12:00:00Z",
                "expires_at", "2027-02-18T12:00:01Z"));
        assertRefused("longer than the 90 days",
                () -> verifier.verify(longLived, sign(serverKey, longLived), trust(serverKey), LINUX_AGENT, NOW));
        byte[] exactly90 = manifest(serverKey, Map.of("generated_at", "2026-11-20T12:00:00Z",
                "expires_at", "2027-02-18T12:00:00Z"));
        assertEquals("1.2.0", verifier.verify(exactly90, sign(serverKey, exactly90), trust(serverKey), LINUX_AGENT, NOW)
                .version());
        byte[] unsigned = manifest(serverKey, Map.of("generated_at", ""));
        assertRefused("generated_at is missing",
                () -> verifier.verify(unsigned, sign(serverKey, unsigned), trust(serverKey), LINUX_AGENT, NOW));
    }

    @Test
    void theServersGoldenManifestReadsThroughTheStrictReader() throws Exception {
        // the wire contract's golden manifest (what ManifestWireTest pins on the server), re-keyed to this test's key
        String golden = java.nio.file.Files.readString(java.nio.file.Path.of("").toAbsolutePath()
                .resolve("../../bundles/core/src/test/resources/wire/manifest-agent-archive.json").normalize()).strip();
        byte[] bytes = golden.replace("\"key_id\":\"4f2a9c0d8e7b6a51\"", "\"key_id\":\"" + keyId(serverKey) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        VerifiedManifest m = verifier.verify(bytes, sign(serverKey, bytes), trust(serverKey), LINUX_AGENT, NOW);
        assertEquals("1.1.0", m.version());
        assertEquals(2, m.releaseCounter());
        assertEquals(210000, m.sizeBytes());
        assertEquals(List.of("io.printmaster.agent.worker", "io.printmaster.core"),
                m.bundles().stream().map(VerifiedManifest.Bundle::symbolicName).toList());
        assertEquals("a7".repeat(32), m.runtimeSha256());
    }

    @Test
    void malformedSignaturesAndDocumentsAreRefused() throws Exception {
        byte[] m = manifest(serverKey, Map.of());
        assertRefused("not base64", () -> verifier.verify(m, "%%%", trust(serverKey), LINUX_AGENT, NOW));
        assertRefused("not 64", () -> verifier.verify(m, Base64.getEncoder().encodeToString(new byte[10]), trust(serverKey), LINUX_AGENT, NOW));
        byte[] duplicate = ("{\"key_id\":\"" + keyId(serverKey) + "\",\"version\":\"1.0.0\",\"version\":\"9.0.0\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertRefused("not valid JSON", () -> verifier.verify(duplicate, sign(serverKey, duplicate), trust(serverKey), LINUX_AGENT, NOW));
        // read as the wire contract's record, strictly: a number as a string or a fraction is not a size
        byte[] textSize = manifest(serverKey, Map.of("size_bytes", "1234"));
        assertRefused("not valid JSON", () -> verifier.verify(textSize, sign(serverKey, textSize), trust(serverKey), LINUX_AGENT, NOW));
        byte[] fraction = manifest(serverKey, Map.of("release_counter", 2.5));
        assertRefused("not valid JSON", () -> verifier.verify(fraction, sign(serverKey, fraction), trust(serverKey), LINUX_AGENT, NOW));
        byte[] noCounter = manifest(serverKey, java.util.Collections.singletonMap("release_counter", null));
        assertRefused("release_counter is missing", () -> verifier.verify(noCounter, sign(serverKey, noCounter), trust(serverKey), LINUX_AGENT, NOW));
    }

    @Test
    void aRotationStatementSignedByTheTrustedKeyExtendsTrustAndAForgedOneDoesNot() throws Exception {
        KeyMaterial next = generate();
        byte[] statement = statement(serverKey, next);
        TrustAnchors anchors = TrustAnchors.fromTrustFile(trustJson(serverKey, List.of(Map.of(
                "old_key_id", keyId(serverKey), "new_key_id", keyId(next),
                "statement_base64", Base64.getEncoder().encodeToString(statement),
                "signature", sign(serverKey, statement)))), jdk);
        byte[] m = manifest(next, Map.of());
        assertEquals("1.2.0", verifier.verify(m, sign(next, m), anchors, LINUX_AGENT, NOW).version());

        KeyMaterial attacker = generate();
        byte[] forged = statement(otherKey, attacker);
        TrustAnchors unchanged = TrustAnchors.fromTrustFile(trustJson(serverKey, List.of()), jdk);
        assertTrue(unchanged.learn(keyId(otherKey), forged, Base64.getDecoder().decode(sign(otherKey, forged))).isEmpty(),
                "a statement by a key the agent does not trust adds nothing");
        assertTrue(unchanged.learn(keyId(serverKey), forged, Base64.getDecoder().decode(sign(otherKey, forged))).isEmpty(),
                "a statement claiming a trusted signer but signed by another key adds nothing");
        assertEquals(List.of(keyId(serverKey)), List.copyOf(unchanged.keyIds()));
    }

    @Test
    void aTrustFileWithoutKeysOrWithAMismatchedKeyIdFailsClosed() throws Exception {
        assertThrows(UpdateFailure.class, () -> TrustAnchors.fromTrustFile("{\"keys\":[]}".getBytes(StandardCharsets.UTF_8), jdk));
        String mismatched = new String(trustJson(serverKey, List.of()), StandardCharsets.UTF_8).replace(keyId(serverKey), keyId(otherKey));
        UpdateFailure e = assertThrows(UpdateFailure.class,
                () -> TrustAnchors.fromTrustFile(mismatched.getBytes(StandardCharsets.UTF_8), jdk));
        assertEquals("MANIFEST_ERROR", e.code());
    }

    @Test
    void bytesOfAnotherSizeOrHashAreAHashMismatch() throws Exception {
        byte[] payload = "the agent release".getBytes(StandardCharsets.UTF_8);
        VerifiedManifest expected = new VerifiedManifest("agent", "1.2.0", "linux", "amd64", "tar.gz", sha256(payload),
                payload.length, 3, keyId(serverKey), NOW.plusSeconds(60));
        Path good = Files.write(dir.resolve("good"), payload);
        ManifestVerifier.verifyBytes(good, expected);
        Path longer = Files.write(dir.resolve("longer"), "the agent release!".getBytes(StandardCharsets.UTF_8));
        assertEquals("HASH_MISMATCH", assertThrows(UpdateFailure.class, () -> ManifestVerifier.verifyBytes(longer, expected)).code());
        Path flipped = Files.write(dir.resolve("flipped"), "the agent releasE".getBytes(StandardCharsets.UTF_8));
        UpdateFailure e = assertThrows(UpdateFailure.class, () -> ManifestVerifier.verifyBytes(flipped, expected));
        assertEquals("HASH_MISMATCH", e.code());
        assertTrue(e.getMessage().contains(sha256(payload)));
    }

    private void assertRefused(String reason, org.junit.jupiter.api.function.Executable call) {
        UpdateFailure e = assertThrows(UpdateFailure.class, call);
        assertEquals("MANIFEST_ERROR", e.code());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    private TrustAnchors trust(KeyMaterial key) throws Exception {
        return TrustAnchors.fromTrustFile(trustJson(key, List.of()), jdk);
    }

    /** A trust.json as the installer writes it (the fleet files, docs/api.md#installers): the key as PEM, plus rotation statements. */
    private static byte[] trustJson(KeyMaterial key, List<Map<String, String>> rotations) throws Exception {
        byte[] spki = new byte[44];
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
        System.arraycopy(key.publicKey(), 0, spki, 12, 32);
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
        return JSON.writeValueAsBytes(Map.of("keys", List.of(Map.of("id", keyId(key), "algorithm", "Ed25519",
                "public_key_pem", pem, "active", true)), "rotations", rotations));
    }

    /** A canonical manifest (sorted keys, as the server writes it) with some fields replaced. */
    private static byte[] manifest(KeyMaterial signer, Map<String, Object> changes) throws Exception {
        Map<String, Object> m = new TreeMap<>(Map.ofEntries(
                Map.entry("manifest_version", 1), Map.entry("component", "agent"), Map.entry("version", "1.2.0"),
                Map.entry("minor_line", "1.2"), Map.entry("platform", "linux"), Map.entry("arch", "amd64"),
                Map.entry("channel", "stable"), Map.entry("format", "tar.gz"), Map.entry("sha256", "ab".repeat(32)),
                Map.entry("size_bytes", 1234), Map.entry("release_counter", 3),
                Map.entry("generated_at", "2026-11-20T12:00:00Z"), Map.entry("expires_at", "2026-12-20T12:00:00Z"),
                Map.entry("key_id", keyId(signer))));
        m.putAll(changes);
        return JSON.writeValueAsBytes(m);
    }

    private static byte[] statement(KeyMaterial oldKey, KeyMaterial newKey) throws Exception {
        return JSON.writeValueAsBytes(new TreeMap<>(Map.of("new_key_id", keyId(newKey),
                "new_public_key", Base64.getEncoder().encodeToString(newKey.publicKey()), "old_key_id", keyId(oldKey),
                "rotated_at", "2026-11-26T10:00:00Z", "type", TrustAnchors.ROTATION_TYPE)));
    }

    private String sign(KeyMaterial key, byte[] message) throws Exception {
        return Base64.getEncoder().encodeToString(jdk.sign(key.privateKey(), message));
    }

    private KeyMaterial generate() {
        try {
            return new JdkSigningProvider().generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String keyId(KeyMaterial key) throws Exception {
        return sha256(key.publicKey()).substring(0, 16);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
