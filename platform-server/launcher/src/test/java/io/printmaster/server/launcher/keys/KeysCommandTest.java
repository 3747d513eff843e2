package io.printmaster.server.launcher.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pm keys}: the root key sealed under its passphrase, statements signed over canonical bytes that anyone
 * holding the root's PEM can verify, and every refusal with its exit code. One run is a real process, as pm starts it.
 */
class KeysCommandTest {
    private static final String PASSPHRASE = "a long enough root passphrase";
    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String passphrase, String... args) {
        Map<String, String> env = passphrase == null ? Map.of() : Map.of("PM_ROOT_PASSPHRASE", passphrase);
        return new KeysCommand(env, null, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Clock.fixed(NOW, ZoneOffset.UTC)).run(args);
    }

    @Test
    void rootInitAsAProcessThenDelegateAndRevokeSignWhatTheRootsPemVerifies() throws Exception {
        Path root = dir.resolve("root");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), KeysCommand.class.getName(), "root-init", "--out", root.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // no console and no PM_ROOT_PASSPHRASE: refused, nothing written
        assertEquals(2, p.exitValue(), said);
        assertTrue(said.contains("PM_ROOT_PASSPHRASE"), said);
        assertFalse(Files.exists(root.resolve("root-key.json")));

        ProcessBuilder withPassphrase = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), KeysCommand.class.getName(), "root-init",
                "--out", root.toString()).redirectErrorStream(true);
        withPassphrase.environment().put("PM_ROOT_PASSPHRASE", PASSPHRASE);
        Process q = withPassphrase.start();
        assertTrue(q.waitFor(60, TimeUnit.SECONDS));
        said = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, q.exitValue(), said);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("root-key.json"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
        String sealed = Files.readString(root.resolve("root-key.json"));
        assertFalse(sealed.contains("PRIVATE"), "the private key is never written in the clear");
        PublicKey rootKey = publicKey(Files.readString(root.resolve("root-public.pem")));
        String rootId = Ed25519.keyId(Ed25519.raw(rootKey));
        assertTrue(said.contains(rootId), said);

        Path serverPem = Files.writeString(dir.resolve("server.pem"), Ed25519.pem(new byte[32]));
        Path delegation = dir.resolve("delegation.json");
        assertEquals(0, run(PASSPHRASE, "delegate", "--root", root.toString(), "--public-key", serverPem.toString(),
                "--expires-days", "30", "--out", delegation.toString()), err.toString());
        JsonNode d = JSON.readTree(delegation.toFile());
        byte[] bytes = Base64.getDecoder().decode(d.get("statement_base64").asText());
        assertEquals(d.get("statement").asText(), new String(bytes, StandardCharsets.UTF_8));
        assertTrue(verify(rootKey, bytes, d.get("signature").asText()), "the root's PEM verifies the delegation");
        JsonNode s = JSON.readTree(bytes);
        assertEquals("printmaster.key-delegation.v1", s.get("type").asText());
        assertEquals(rootId, s.get("root_key_id").asText());
        assertEquals(Ed25519.keyId(new byte[32]), s.get("key_id").asText());
        assertEquals("2027-01-06T06:00:00Z", s.get("expires_at").asText());
        assertEquals(List.of("type", "key_id", "statement", "statement_base64", "signature"),
                iterate(d.fieldNames()), "exactly what POST /api/v1/releases/trust/statements takes");

        Path revocation = dir.resolve("revocation.json");
        assertEquals(0, run(PASSPHRASE, "revoke", "--root", root.toString(), "--key-id", "0123456789abcdef",
                "--reason", "leaked", "--out", revocation.toString()), err.toString());
        JsonNode r = JSON.readTree(revocation.toFile());
        byte[] rb = Base64.getDecoder().decode(r.get("statement_base64").asText());
        assertTrue(verify(rootKey, rb, r.get("signature").asText()));
        assertEquals("{\"key_id\":\"0123456789abcdef\",\"reason\":\"leaked\",\"revoked_at\":\"2026-12-07T06:00:00Z\","
                + "\"signer_key_id\":\"" + rootId + "\",\"type\":\"printmaster.key-revocation.v1\"}",
                new String(rb, StandardCharsets.UTF_8), "canonical JSON: members sorted, no whitespace");
    }

    @Test
    void aWrongPassphraseAShortOneAndAnExistingRootAreRefused() throws Exception {
        Path root = dir.resolve("root");
        assertEquals(2, run("short", "root-init", "--out", root.toString()));
        assertTrue(err.toString().contains("at least 12"), err.toString());
        assertEquals(0, run(PASSPHRASE, "root-init", "--out", root.toString()));
        byte[] before = Files.readAllBytes(root.resolve("root-key.json"));
        assertEquals(1, run(PASSPHRASE, "root-init", "--out", root.toString()));
        assertTrue(err.toString().contains("refusing to replace a root key"), err.toString());
        assertEquals(new String(before), new String(Files.readAllBytes(root.resolve("root-key.json"))));

        Path out = dir.resolve("r.json");
        assertEquals(1, run(PASSPHRASE + "x", "revoke", "--root", root.toString(), "--key-id", "0123456789abcdef",
                "--out", out.toString()));
        assertTrue(err.toString().contains("the passphrase does not open the root key"), err.toString());
        assertFalse(Files.exists(out), "nothing is written without the root");
        assertFalse(err.toString().contains(PASSPHRASE), "the passphrase is never printed");

        assertEquals(2, run(PASSPHRASE, "delegate", "--root", root.toString(), "--public-key", "x", "--expires-days",
                "0", "--out", out.toString()));
        assertTrue(err.toString().contains("--expires-days: 1 to 400, got '0'"), err.toString());
        assertEquals(2, run(PASSPHRASE, "delegate", "--root", root.toString(), "--expires-days", "30"));
        assertTrue(err.toString().contains("--public-key is required"), err.toString());
        assertEquals(2, run(PASSPHRASE, "rotate"));
        assertTrue(err.toString().contains("unknown keys command 'rotate'"), err.toString());
    }

    private static List<String> iterate(java.util.Iterator<String> it) {
        List<String> names = new java.util.ArrayList<>();
        it.forEachRemaining(names::add);
        return names;
    }

    private static PublicKey publicKey(String pem) throws Exception {
        String b64 = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    private static boolean verify(PublicKey key, byte[] message, String signature) throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(message);
        return s.verify(Base64.getDecoder().decode(signature));
    }
}
