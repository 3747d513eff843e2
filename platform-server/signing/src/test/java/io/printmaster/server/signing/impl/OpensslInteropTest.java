package io.printmaster.server.signing.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.signing.bouncycastle.impl.BouncyCastleSigningProvider;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anyone can check the server's signatures with stock OpenSSL 3 and the exported PEM, exactly as the documentation
 * tells agent builders and auditors to.
 */
class OpensslInteropTest {
    private static final byte[] MESSAGE = "{\"component\":\"printmaster-agent\",\"version\":\"1.2.3\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    DerbyDatabase db;
    SigningKeyStore store;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new SigningKeyStore(new BouncyCastleSigningProvider(), db, new JdbcAuditLog(db), TestSecretBoxes.withMasterKey(3),
                Clock.systemUTC());
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void opensslReadsThePemAndVerifiesTheSignature() throws Exception {
        SigningKey key = store.active();
        Path pem = Files.writeString(dir.resolve("key.pem"), key.publicKeyPem());
        Result read = openssl("pkey", "-pubin", "-in", pem.toString(), "-noout");
        assertEquals(0, read.exit, read.output);
        Result text = openssl("pkey", "-pubin", "-in", pem.toString(), "-noout", "-text");
        assertTrue(text.output.contains("ED25519 Public-Key"), text.output);

        Signature signature = store.sign(MESSAGE);
        Path message = Files.write(dir.resolve("msg"), MESSAGE);
        Path sig = Files.write(dir.resolve("sig"), signature.value());
        Result verified = verify(pem, message, sig);
        assertEquals(0, verified.exit, verified.output);
        assertTrue(verified.output.contains("Signature Verified Successfully"), verified.output);

        byte[] tampered = MESSAGE.clone();
        tampered[tampered.length - 3] = '4';
        Result refused = verify(pem, Files.write(dir.resolve("tampered"), tampered), sig);
        assertNotEquals(0, refused.exit, refused.output);
        assertTrue(refused.output.contains("Signature Verification Failure"), refused.output);
    }

    @Test
    void opensslVerifiesARotationStatementWithTheOldKey() throws Exception {
        SigningKey old = store.active();
        Rotation rotation = store.rotate(null, "admin");
        Path oldPem = Files.writeString(dir.resolve("old.pem"), old.publicKeyPem());
        Path newPem = Files.writeString(dir.resolve("new.pem"), rotation.newKey().publicKeyPem());
        Path statement = Files.write(dir.resolve("statement.json"), rotation.statement().statement());
        Path sig = Files.write(dir.resolve("statement.sig"), rotation.statement().signature());
        assertEquals(0, verify(oldPem, statement, sig).exit);
        assertNotEquals(0, verify(newPem, statement, sig).exit, "only the old key signed it");
    }

    private Result verify(Path pem, Path message, Path signature) throws Exception {
        return openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem.toString(), "-rawin", "-in", message.toString(),
                "-sigfile", signature.toString());
    }

    private record Result(int exit, String output) {
    }

    private Result openssl(String... args) throws Exception {
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
