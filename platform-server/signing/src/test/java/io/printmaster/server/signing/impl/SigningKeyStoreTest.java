package io.printmaster.server.signing.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.security.api.SecretBox;
import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.RotationStatement;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.signing.bouncycastle.impl.BouncyCastleSigningProvider;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signing keys on a real embedded Derby, sealed with the real secret box, signed by the real providers. */
class SigningKeyStoreTest {
    private static final Instant NOW = Instant.parse("2026-11-26T17:40:00.123Z");
    private static final byte[] MESSAGE = "{\"component\":\"printmaster-agent\",\"version\":\"1.2.3\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    DerbyDatabase db;
    AuditLog audit;
    SecretBox box;
    SigningKeyStore store;
    final SigningProvider bouncyCastle = new BouncyCastleSigningProvider();
    final SigningProvider jdk = new JdkSigningProvider();

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        box = TestSecretBoxes.withMasterKey(7);
        store = new SigningKeyStore(bouncyCastle, db, audit, box, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void theFirstKeyIsCreatedOnFirstUse() throws Exception {
        assertEquals(List.of(), store.list());

        SigningKey key = store.active();
        assertEquals(16, key.id().length());
        assertEquals(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(key.publicKey()))
                .substring(0, 16), key.id(), "the id is derived from the public key");
        assertEquals("Ed25519", key.algorithm());
        assertTrue(key.active());
        assertEquals(NOW, key.createdAt());
        assertNull(key.rotatedAt());
        assertEquals(List.of(key), store.list());
        assertEquals(key, store.active(), "the same key on the next call");
        assertEquals(key, store.find(key.id()).orElseThrow());

        Signature signature = store.sign(MESSAGE);
        assertEquals(key.id(), signature.keyId());
        assertEquals(64, signature.value().length);
        assertTrue(jdk.verify(key.publicKey(), MESSAGE, signature.value()));
        assertTrue(store.verify(key.id(), MESSAGE, signature.value()));

        AuditLog.Entry created = audit.list(AuditLog.Query.latest(10)).get(0);
        assertEquals("signing_key.create", created.action());
        assertEquals("system", created.actor());
        assertEquals("signing_key:" + key.id(), created.target());
    }

    @Test
    void signingFirstCreatesTheKeyToo() throws Exception {
        Signature signature = store.sign(MESSAGE);
        assertEquals(store.active().id(), signature.keyId());
        assertEquals(1, store.list().size());
    }

    @Test
    void aRotationMakesANewActiveKeyAndTheOldKeyVouchesForIt() throws Exception {
        SigningKey old = store.active();
        Signature before = store.sign(MESSAGE);

        Rotation rotation = store.rotate("yearly rotation", "admin");
        SigningKey fresh = rotation.newKey();
        assertNotEquals(old.id(), fresh.id());
        assertTrue(fresh.active());
        assertEquals("yearly rotation", fresh.notes());
        assertEquals(fresh, store.active());

        List<SigningKey> keys = store.list();
        assertEquals(List.of(fresh.id(), old.id()), keys.stream().map(SigningKey::id).toList(), "newest first");
        SigningKey retired = keys.get(1);
        assertFalse(retired.active());
        assertEquals(NOW, retired.rotatedAt());

        RotationStatement statement = rotation.statement();
        assertEquals(List.of(statement), store.statements());
        assertEquals(old.id(), statement.oldKeyId());
        assertEquals(fresh.id(), statement.newKeyId());
        assertEquals("{\"new_key_id\":\"" + fresh.id() + "\",\"new_public_key\":\""
                        + Base64.getEncoder().encodeToString(fresh.publicKey()) + "\",\"old_key_id\":\"" + old.id()
                        + "\",\"rotated_at\":\"2026-11-26T17:40:00.123Z\",\"type\":\"printmaster.key-rotation.v1\"}",
                new String(statement.statement(), StandardCharsets.UTF_8));
        for (SigningProvider provider : List.of(bouncyCastle, jdk)) {
            assertTrue(provider.verify(old.publicKey(), statement.statement(), statement.signature()),
                    "the old key signed the statement (" + provider.getClass().getSimpleName() + ")");
            assertFalse(provider.verify(fresh.publicKey(), statement.statement(), statement.signature()));
        }

        Signature after = store.sign(MESSAGE);
        assertEquals(fresh.id(), after.keyId(), "the new key signs from now on");
        assertTrue(store.verify(old.id(), MESSAGE, before.value()), "what the old key signed still verifies");
        assertFalse(store.verify(fresh.id(), MESSAGE, before.value()));
        assertFalse(store.verify("0000000000000000", MESSAGE, before.value()), "unknown key");

        AuditLog.Entry entry = audit.list(AuditLog.Query.latest(10)).get(0);
        assertEquals("signing_key.rotate", entry.action());
        assertEquals("admin", entry.actor());
        assertEquals("signing_key:" + fresh.id(), entry.target());
        assertTrue(entry.before().contains(old.id()) && entry.after().contains(fresh.id()), entry.after());
    }

    @Test
    void rotationsChainFromKeyToKey() throws Exception {
        SigningKey first = store.active();
        Rotation second = store.rotate(null, "admin");
        Rotation third = store.rotate("again", "admin");
        List<RotationStatement> chain = store.statements();
        assertEquals(List.of(second.statement(), third.statement()), chain, "oldest first");
        assertChain(first, chain);
        assertEquals(third.newKey().id(), chain.get(1).newKeyId());
    }

    @Test
    void privateKeysAreSealedAndBoundToTheirKeyAndMasterKey() throws Exception {
        SigningKey key = store.active();
        byte[] sealed = sealedPrivateKey(key.id());
        byte[] privateKey = box.open(sealed, SigningKeyStore.associatedData(key.id()));
        assertEquals(32, privateKey.length);
        assertArrayEquals(key.publicKey(), new Ed25519PrivateKeyParameters(privateKey, 0).generatePublicKey().getEncoded(),
                "the sealed private key is the key pair's");
        assertFalse(HexFormat.of().formatHex(sealed).contains(HexFormat.of().formatHex(privateKey)),
                "the database does not hold the raw private key");

        assertThrows(GeneralSecurityException.class, () -> TestSecretBoxes.withMasterKey(8).open(sealed,
                SigningKeyStore.associatedData(key.id())), "another master key cannot open it");
        assertThrows(GeneralSecurityException.class, () -> box.open(sealed, SigningKeyStore.associatedData("0123456789abcdef")),
                "it cannot be moved to another key id");

        SigningKeyStore wrongMasterKey = new SigningKeyStore(bouncyCastle, db, audit, TestSecretBoxes.withMasterKey(8),
                Clock.systemUTC());
        SigningException e = assertThrows(SigningException.class, () -> wrongMasterKey.sign(MESSAGE));
        assertEquals("the private key of signing key " + key.id()
                + " cannot be opened (is the master key the one it was sealed with?)", e.getMessage());
        assertEquals(e.getMessage(), assertThrows(SigningException.class, () -> wrongMasterKey.rotate(null, "admin")).getMessage(),
                "the old key cannot sign the rotation statement");
        assertEquals(List.of(key), store.list(), "a failed rotation changes nothing");
        assertEquals(List.of(), store.statements());
    }

    @Test
    void noPrivateKeyInTheAuditLogOrInAnyDescription() throws Exception {
        SigningKey first = store.active();
        byte[] firstPrivate = box.open(sealedPrivateKey(first.id()), SigningKeyStore.associatedData(first.id()));
        Rotation rotation = store.rotate("n", "admin");
        byte[] secondPrivate = box.open(sealedPrivateKey(rotation.newKey().id()),
                SigningKeyStore.associatedData(rotation.newKey().id()));

        StringBuilder everything = new StringBuilder();
        for (AuditLog.Entry e : audit.list(AuditLog.Query.latest(100))) {
            everything.append(e.before()).append(e.after());
        }
        everything.append(store.list()).append(rotation).append(store.sign(MESSAGE)).append(store);
        String text = everything.toString();
        for (byte[] secret : List.of(firstPrivate, secondPrivate)) {
            assertFalse(text.contains(Base64.getEncoder().encodeToString(secret)));
            assertFalse(text.toLowerCase().contains(HexFormat.of().formatHex(secret)));
        }
        assertTrue(text.contains(first.id()), "the check looked at real content: " + text);
    }

    @Test
    void exactlyOneKeyIsActiveEvenWithConcurrentRotations() throws Exception {
        SigningKey first = store.active();
        for (int round = 0; round < 3; round++) {
            List<Rotation> done = race(2, () -> store.rotate("concurrent", "admin"));
            assertEquals(2, done.size());
        }
        List<SigningKey> keys = store.list();
        assertEquals(7, keys.size());
        assertEquals(1, keys.stream().filter(SigningKey::active).count(), "exactly one active key");
        assertEquals(6, keys.stream().filter(k -> k.rotatedAt() != null).count());
        assertChain(first, store.statements());
    }

    @Test
    void concurrentFirstUsesCreateOneKey() throws Exception {
        List<SigningKey> seen = race(4, store::active);
        assertEquals(1, seen.stream().map(SigningKey::id).distinct().count(), "every caller got the same key");
        assertEquals(1, store.list().size());
    }

    @Test
    void theDatabaseRefusesASecondActiveKey() throws Exception {
        SigningKey key = store.active();
        SigningKey impostor = new SigningKey("ffffffffffffffff", "Ed25519", new byte[32], PublicKeyPem.encode(new byte[32]),
                null, true, NOW, null);
        assertThrows(SQLException.class, () -> db.inTransaction(c -> {
            JdbcSigningKeys.insert(c, impostor, new byte[] {1});
            return null;
        }));
        assertEquals(List.of(key), store.list());
    }

    @Test
    void rotationInputIsChecked() throws Exception {
        assertEquals("notes: at most 2000 characters, got 2001",
                assertThrows(IllegalArgumentException.class, () -> store.rotate("x".repeat(2001), "admin")).getMessage());
        assertEquals("actor: required", assertThrows(IllegalArgumentException.class, () -> store.rotate(null, " ")).getMessage());
        assertEquals(List.of(), store.list(), "nothing was created");
    }

    @Test
    void theJdkProviderSignsAsWell() throws Exception {
        SigningKeyStore withJdk = new SigningKeyStore(jdk, db, audit, box, Clock.systemUTC());
        Signature signature = withJdk.sign(MESSAGE);
        assertTrue(bouncyCastle.verify(withJdk.active().publicKey(), MESSAGE, signature.value()));
        Rotation rotation = withJdk.rotate(null, "admin");
        assertTrue(store.verify(signature.keyId(), rotation.statement().statement(), rotation.statement().signature()),
                "a store on Bouncy Castle verifies the JDK store's rotation statement");
    }

    @Test
    void thePemIsTheStandardSubjectPublicKeyInfo() throws Exception {
        SigningKey key = store.active();
        String pem = key.publicKeyPem();
        assertTrue(pem.startsWith("-----BEGIN PUBLIC KEY-----\n") && pem.endsWith("\n-----END PUBLIC KEY-----\n"), pem);
        String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").strip();
        byte[] der = Base64.getMimeDecoder().decode(body);
        assertEquals("302a300506032b6570032100" + HexFormat.of().formatHex(key.publicKey()), HexFormat.of().formatHex(der));
        // the JDK reads it as an Ed25519 key too
        java.security.PublicKey parsed = java.security.KeyFactory.getInstance("Ed25519")
                .generatePublic(new java.security.spec.X509EncodedKeySpec(der));
        assertEquals("EdDSA", parsed.getAlgorithm());
    }

    private static void assertChain(SigningKey first, List<RotationStatement> chain) throws Exception {
        String trusted = first.id();
        byte[] trustedKey = first.publicKey();
        SigningProvider verifier = new JdkSigningProvider();
        for (RotationStatement link : chain) {
            assertEquals(trusted, link.oldKeyId(), "each statement starts where the previous one ended");
            assertTrue(verifier.verify(trustedKey, link.statement(), link.signature()));
            String text = new String(link.statement(), StandardCharsets.UTF_8);
            String newKey = text.replaceAll(".*\"new_public_key\":\"([^\"]+)\".*", "$1");
            trustedKey = Base64.getDecoder().decode(newKey);
            assertEquals(link.newKeyId(), SigningKeyStore.keyId(trustedKey), "the new key's id is derived from it");
            trusted = link.newKeyId();
        }
    }

    private byte[] sealedPrivateKey(String id) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT SEALED_PRIVATE_KEY FROM PM_SIGNING_KEY WHERE ID = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    return rs.getBytes(1);
                }
            }
        });
    }

    /** Runs {@code work} on {@code threads} threads released together; returns every result (rethrows any failure). */
    private static <T> List<T> race(int threads, Callable<T> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return work.call();
                }));
            }
            ready.await();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
