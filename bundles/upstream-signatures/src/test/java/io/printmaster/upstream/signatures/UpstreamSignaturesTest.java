package io.printmaster.upstream.signatures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signatures made by the real minisign and ssh-keygen, checked valid, and refused once anything is altered. */
class UpstreamSignaturesTest {
    @TempDir
    Path dir;

    Path asset(String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    static Optional<String> check(String key, Path file, Path signature) throws Exception {
        return UpstreamSignatures.check(UpstreamPublicKey.parse(key), file, Files.readAllBytes(signature));
    }

    static void assertRefused(Optional<String> problem, String expectedPart) {
        assertTrue(problem.isPresent(), "refused");
        assertTrue(problem.get().contains(expectedPart), problem.get());
    }

    @Test
    void minisignPrehashedAndLegacySignaturesVerifyAndAlteredOnesDoNot() throws Exception {
        SigningTools.MinisignKey key = SigningTools.minisignKey(dir, "upstream");
        SigningTools.MinisignKey other = SigningTools.minisignKey(dir, "other");
        for (boolean legacy : new boolean[] {false, true}) {
            Path file = asset("printmaster-agent-v1.2.0-linux-amd64" + (legacy ? "-legacy" : "") + ".tar.gz", 300_000);
            Path sig = SigningTools.minisignSign(key, file, legacy, "timestamp:1765000000\tfile:" + file.getFileName());
            String sigLine = Files.readAllLines(sig).get(1);
            assertEquals(legacy ? "Ed" : "ED", new String(java.util.Base64.getDecoder().decode(sigLine), 0, 2,
                    StandardCharsets.US_ASCII), "minisign made the kind of signature asked for");

            assertEquals(Optional.empty(), check(key.publicKeyLine(), file, sig), "valid, with the key line");
            assertEquals(Optional.empty(), check(key.publicKeyFile(), file, sig), "valid, with the whole .pub file");
            assertRefused(check(other.publicKeyLine(), file, sig), "another key");

            Path tampered = dir.resolve("tampered-" + file.getFileName());
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 1;
            Files.write(tampered, bytes);
            assertRefused(check(key.publicKeyLine(), tampered, sig), "does not verify");

            java.util.List<String> lines = Files.readAllLines(sig);
            byte[] raw = java.util.Base64.getDecoder().decode(lines.get(1));
            raw[40] ^= 1;
            Path badSig = Files.write(dir.resolve("bad-sig-" + sig.getFileName()), (lines.get(0) + "\n"
                    + java.util.Base64.getEncoder().encodeToString(raw) + "\n" + lines.get(2) + "\n" + lines.get(3) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            assertRefused(check(key.publicKeyLine(), file, badSig), "does not verify");

            Path badComment = Files.write(dir.resolve("bad-comment-" + sig.getFileName()), (lines.get(0) + "\n"
                    + lines.get(1) + "\n" + lines.get(2).replace("timestamp:1765000000", "timestamp:1999999999") + "\n"
                    + lines.get(3) + "\n").getBytes(StandardCharsets.UTF_8));
            assertRefused(check(key.publicKeyLine(), file, badComment), "trusted comment was altered");
        }
    }

    @Test
    void sshSignaturesOfTheFileNamespaceVerifyAndAlteredOnesDoNot() throws Exception {
        SigningTools.SshKey key = SigningTools.sshKey(dir, "upstream_ed25519");
        SigningTools.SshKey other = SigningTools.sshKey(dir, "other_ed25519");
        Path file = asset("printmaster-server-v1.2.0-linux-amd64.tar.gz", 200_000);
        Path sig = SigningTools.sshSign(key, file, UpstreamSignatures.SSH_NAMESPACE);

        assertEquals(Optional.empty(), check(key.publicKeyLine(), file, sig));
        assertRefused(check(other.publicKeyLine(), file, sig), "another key");

        Path tampered = dir.resolve("tampered.tar.gz");
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] ^= 1;
        Files.write(tampered, bytes);
        assertRefused(check(key.publicKeyLine(), tampered, sig), "does not verify");

        String armored = Files.readString(sig);
        String[] lines = armored.split("\n");
        byte[] blob = java.util.Base64.getDecoder().decode(String.join("", java.util.Arrays.copyOfRange(lines, 1, lines.length - 1)));
        blob[blob.length - 5] ^= 1; // inside the Ed25519 signature, the blob's last field
        Path badSig = Files.writeString(dir.resolve("bad.sig"), lines[0] + "\n"
                + java.util.Base64.getEncoder().encodeToString(blob) + "\n" + lines[lines.length - 1] + "\n");
        assertRefused(check(key.publicKeyLine(), file, badSig), "does not verify");

        Path gitFile = asset("other-purpose.txt", 1000);
        Path gitSig = SigningTools.sshSign(key, gitFile, "git");
        assertRefused(check(key.publicKeyLine(), gitFile, gitSig), "namespace 'git'");

        assertRefused(check(key.publicKeyLine(), file, Files.writeString(dir.resolve("x.sig"), "not a signature")),
                "malformed");
    }

    @Test
    void keysThatAreNotEd25519OrNotKeysAtAllAreRefusedWithWhatIsWrong() throws Exception {
        for (String[] bad : new String[][] {
                {"", "must not be empty"},
                {"RWQ!!notbase64", "not base64"},
                {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user", "only ssh-ed25519"},
                {"ssh-ed25519 AAAA", "truncated"},
                {java.util.Base64.getEncoder().encodeToString(new byte[42]), "minisign Ed25519 public key"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpstreamPublicKey.parse(bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + " → " + e.getMessage());
        }
        SigningTools.SshKey ssh = SigningTools.sshKey(dir, "k");
        assertEquals(UpstreamPublicKey.Kind.SSH, UpstreamPublicKey.parse(ssh.publicKeyLine()).kind());
        assertEquals("a.tar.gz.sig", UpstreamPublicKey.parse(ssh.publicKeyLine()).signatureFileFor("a.tar.gz"));
        SigningTools.MinisignKey mini = SigningTools.minisignKey(dir, "m");
        assertEquals("a.tar.gz.minisig", UpstreamPublicKey.parse(mini.publicKeyLine()).signatureFileFor("a.tar.gz"));
        assertTrue(mini.publicKeyFile().contains(UpstreamPublicKey.parse(mini.publicKeyLine()).toString()
                .substring("minisign key ".length())), "the key id reads as minisign prints it: " + mini.publicKeyFile());
    }
}
