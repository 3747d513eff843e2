package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.store.impl.DerbyDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored manifest, taken the way the API serves it (the bytes as a string, the signature in base64), verifies with
 * stock OpenSSL 3 and the key's PEM, as docs/manifests.md tells anyone to check it; one changed byte does not.
 */
class ManifestOpensslTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    JdkEd25519Keys keys;
    ManifestService manifests;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        keys = new JdkEd25519Keys();
        manifests = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7), Clock.systemUTC(), false);
    }

    @AfterEach
    void close() {
        manifests.stop();
        db.close();
    }

    @Test
    void theServedManifestVerifiesWithOpensslAndATamperedOneDoesNot() throws Exception {
        // release notes and a URL with non-ASCII text: the string form must still give back the signed bytes
        Artifact artifact = ((ReleaseStore.Added) store.record(new Artifact(0, "agent", "1.2.3-rc.1", "windows", "amd64", "msi",
                "beta", "ab".repeat(32), 4242, "printmaster-agent-v1.2.3-rc.1-windows-amd64.msi", "github-main", "github",
                "https://example.org/déjà-vu/\"quoted\"/agent.msi", "Notes: «bold» \n line", Instant.parse("2026-11-01T10:00:00Z"),
                Instant.now()))).artifact();
        SignedManifest signed = manifests.sign(artifact);

        String served = new String(signed.manifest(), StandardCharsets.UTF_8);
        Path manifest = Files.write(dir.resolve("manifest.json"), served.getBytes(StandardCharsets.UTF_8));
        Path signature = Files.write(dir.resolve("manifest.sig"), Base64.getDecoder().decode(signed.signature()));
        Path pem = Files.writeString(dir.resolve("key.pem"), keys.find(signed.keyId()).orElseThrow().publicKeyPem());

        Result ok = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem.toString(), "-rawin", "-in", manifest.toString(),
                "-sigfile", signature.toString());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("Signature Verified Successfully"), ok.output());

        Path tampered = Files.writeString(dir.resolve("tampered.json"), served.replace("\"size_bytes\":4242", "\"size_bytes\":4243"));
        Result refused = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem.toString(), "-rawin", "-in", tampered.toString(),
                "-sigfile", signature.toString());
        assertNotEquals(0, refused.exit(), refused.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("this test needs OpenSSL 3 on the PATH (apt-get install openssl)", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "openssl did not finish");
        return new Result(process.exitValue(), output);
    }
}
