package io.printmaster.server.signing.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.server.signing.api.AcceptedStatement;
import io.printmaster.server.signing.api.AgentTrust;
import io.printmaster.server.signing.api.CanonicalJson;
import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.StatementRefusedException;
import io.printmaster.server.signing.api.TrustStatement;
import io.printmaster.signing.bouncycastle.impl.BouncyCastleSigningProvider;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust statements on a real Derby: one sequence for rotations, revocations and root delegations; what the
 * server refuses (the active key's revocation, another root, a forged or expired delegation); how a root changes
 * rotation (pending keys that sign nothing until delegated) and what a new installer embeds.
 */
class TrustStatementStoreTest {
    private static final Instant START = Instant.parse("2026-12-07T06:00:00Z");

    @TempDir
    Path dir;
    DerbyDatabase db;
    SigningKeyStore store;
    final SigningProvider ed25519 = new BouncyCastleSigningProvider();
    final MutableClock clock = new MutableClock(START);
    KeyMaterial root;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new SigningKeyStore(ed25519, db, new JdbcAuditLog(db), TestSecretBoxes.withMasterKey(7), clock);
        root = ed25519.generateKeyPair();
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void rotationsAndRevocationsShareOneSequenceAndVerify() throws Exception {
        SigningKey first = store.active();
        assertEquals(0, store.trustVersion());
        Rotation r = store.rotate(null, "admin");
        assertThrows(IllegalStateException.class, () -> store.revoke(r.newKey().id(), "still signing", "admin"),
                "the active key cannot be revoked: rotate first");
        assertThrows(NoSuchElementException.class, () -> store.revoke("0000000000000000", "x", "admin"));
        assertThrows(IllegalArgumentException.class, () -> store.revoke(first.id(), " ", "admin"));

        TrustStatement revocation = store.revoke(first.id(), "the old laptop was stolen", "admin");
        assertThrows(IllegalStateException.class, () -> store.revoke(first.id(), "again", "admin"));
        List<TrustStatement> all = store.trustStatements(0);
        assertEquals(List.of(1L, 2L), all.stream().map(TrustStatement::sequence).toList());
        assertEquals(List.of("rotation", "revocation"), all.stream().map(TrustStatement::type).toList());
        assertEquals(2, store.trustVersion());
        assertEquals(List.of(revocation), store.trustStatements(1), "only what an agent at version 1 lacks");
        assertEquals(r.newKey().id(), revocation.signerKeyId(), "the active key signs the revocation");
        assertTrue(ed25519.verify(r.newKey().publicKey(), revocation.statement(), revocation.signature()));
        assertTrue(revocation.statementText().contains("\"key_id\":\"" + first.id() + "\""));
        assertArrayEqualsText(r.statement().statement(), all.get(0).statement());
        assertEquals("revoked", store.find(first.id()).orElseThrow().state());

        AgentTrust trust = store.agentTrust();
        assertEquals(2, trust.trustVersion());
        assertEquals(r.newKey().id(), trust.activeKey().id());
        assertNull(trust.root());
        assertEquals(List.of(), trust.statements(), "without a root a new agent needs only the active key");
    }

    @Test
    void rotationsMadeBeforeTrustStatementsExistedBecomeTheFirstOnesInOrder() throws Exception {
        // a database at signing schema v1 with two rotations, as an older server left it
        DerbyDatabase old = new DerbyDatabase(dir.resolve("old-db"), dir.resolve("old-derby.log"));
        try {
            java.util.List<io.printmaster.store.Migration> all = io.printmaster.store.Migrations.fromClasspath(
                    SigningKeyStore.class, SigningKeyStore.MODULE);
            old.migrate(SigningKeyStore.MODULE, all.subList(0, 1));
            byte[][] ids = {"aaaaaaaaaaaaaaaa".getBytes(), "bbbbbbbbbbbbbbbb".getBytes(), "cccccccccccccccc".getBytes()};
            old.inTransaction(c -> {
                for (byte[] id : ids) {
                    try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SIGNING_KEY (ID, ALGORITHM, "
                            + "PUBLIC_KEY, SEALED_PRIVATE_KEY, CREATED_AT) VALUES (?, 'Ed25519', ?, ?, CURRENT_TIMESTAMP)")) {
                        ps.setString(1, new String(id));
                        ps.setBytes(2, new byte[32]);
                        ps.setBytes(3, new byte[1]);
                        ps.executeUpdate();
                    }
                }
                for (int i = 0; i < 2; i++) {
                    try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SIGNING_ROTATION (OLD_KEY_ID, "
                            + "NEW_KEY_ID, STATEMENT, SIGNATURE, CREATED_AT) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)")) {
                        ps.setString(1, new String(ids[i]));
                        ps.setString(2, new String(ids[i + 1]));
                        ps.setBytes(3, ("statement " + i).getBytes(StandardCharsets.UTF_8));
                        ps.setBytes(4, new byte[64]);
                        ps.executeUpdate();
                    }
                }
                return null;
            });
            old.migrate(SigningKeyStore.MODULE, all);
            List<TrustStatement> moved = old.read(c -> JdbcSigningKeys.trustStatements(c, 0));
            assertEquals(List.of(1L, 2L), moved.stream().map(TrustStatement::sequence).toList());
            assertEquals(List.of("bbbbbbbbbbbbbbbb", "cccccccccccccccc"), moved.stream().map(TrustStatement::keyId).toList());
            assertEquals(List.of("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"),
                    moved.stream().map(TrustStatement::signerKeyId).toList());
            assertEquals("statement 0", moved.get(0).statementText());
        } finally {
            old.close();
        }
    }

    @Test
    void theFirstDelegationTeachesTheRootAndAnotherRootIsRefused() throws Exception {
        SigningKey active = store.active();
        StatementRefusedException forged = assertThrows(StatementRefusedException.class, () -> accept(
                delegation(root, active.publicKey(), START, START.plus(Duration.ofDays(30))), ed25519.generateKeyPair()));
        assertEquals("signature", forged.field());
        StatementRefusedException expired = assertThrows(StatementRefusedException.class, () -> accept(
                delegation(root, active.publicKey(), START.minusSeconds(60), START), root));
        assertEquals("expires_at", expired.field());
        assertTrue(store.root().isEmpty(), "nothing that does not verify teaches a root");

        AcceptedStatement first = accept(delegation(root, active.publicKey(), START, START.plus(Duration.ofDays(30))), root);
        assertTrue(first.activation().isEmpty(), "the active key stays active");
        assertEquals(SigningKeyStore.keyId(root.publicKey()), store.root().orElseThrow().id());
        assertEquals(START.plus(Duration.ofDays(30)), store.find(active.id()).orElseThrow().delegatedUntil());

        KeyMaterial other = ed25519.generateKeyPair();
        StatementRefusedException changed = assertThrows(StatementRefusedException.class, () -> accept(
                delegation(other, active.publicKey(), START, START.plus(Duration.ofDays(30))), other));
        assertEquals("root_key_id", changed.field());
        assertTrue(changed.conflict());
        assertTrue(changed.getMessage().contains("changing the root is refused"));

        StatementRefusedException unknown = assertThrows(StatementRefusedException.class, () -> accept(
                delegation(root, ed25519.generateKeyPair().publicKey(), START, START.plus(Duration.ofDays(3))), root));
        assertEquals("key_id", unknown.field());

        AgentTrust trust = store.agentTrust();
        assertEquals(store.root().orElseThrow(), trust.root());
        assertEquals(List.of(first.statement()), trust.statements(), "a new agent gets the active key's delegation");
        assertEquals(1, trust.trustVersion());
    }

    @Test
    void underARootANewKeyIsPendingUntilDelegatedAndSignsNothingBefore() throws Exception {
        SigningKey first = store.active();
        accept(delegation(root, first.publicKey(), START, START.plus(Duration.ofDays(30))), root);
        assertThrows(IllegalStateException.class, () -> store.rotate(null, "admin"), "rotate makes no active key");

        SigningKey pending = store.addPendingKey("next", "admin");
        assertEquals("pending", pending.state());
        assertEquals(first.id(), store.sign("m".getBytes(StandardCharsets.UTF_8)).keyId(),
                "the old key signs until the pending one is delegated");

        AcceptedStatement activated = accept(delegation(root, pending.publicKey(), START, START.plus(Duration.ofDays(60))),
                root);
        Rotation rotation = activated.activation().orElseThrow();
        assertEquals(pending.id(), rotation.newKey().id());
        assertEquals(pending.id(), store.sign("m".getBytes(StandardCharsets.UTF_8)).keyId());
        assertEquals("retired", store.find(first.id()).orElseThrow().state());
        assertEquals(List.of("delegation", "delegation", "rotation"),
                store.trustStatements(0).stream().map(TrustStatement::type).toList(),
                "the delegation comes before the rotation, so root agents hold it when the rotation arrives");
        assertEquals(rotation.statement().signature().length, 64);

        // the root revokes the retired key; the active one must be rotated away first
        StatementRefusedException active = assertThrows(StatementRefusedException.class,
                () -> accept(revocation(root, pending.id()), root));
        assertEquals("key_id", active.field());
        AcceptedStatement revoked = accept(revocation(root, first.id()), root);
        assertEquals(SigningKeyStore.keyId(root.publicKey()), revoked.statement().signerKeyId());
        assertEquals("revoked", store.find(first.id()).orElseThrow().state());

        // once the delegation expires the server refuses to sign what agents would refuse
        clock.now = START.plus(Duration.ofDays(61));
        SigningException expired = assertThrows(SigningException.class, () -> store.sign(new byte[] {1}));
        assertTrue(expired.getMessage().contains("delegation"), expired.getMessage());
    }

    @Test
    void healthWarnsTwoWeeksBeforeTheActiveKeysDelegationExpiresAndOnceItHas() throws Exception {
        DelegationExpiryWarning health = new DelegationExpiryWarning(store, clock);
        assertEquals(List.of(), health.get(), "no root, no delegation: nothing to warn about");
        SigningKey active = store.active();
        accept(delegation(root, active.publicKey(), START, START.plus(Duration.ofDays(30))), root);
        assertEquals(List.of(), health.get());
        clock.now = START.plus(Duration.ofDays(17));
        assertEquals(1, health.get().size());
        assertTrue(health.get().get(0).contains("expires at " + START.plus(Duration.ofDays(30))), health.get().toString());
        clock.now = START.plus(Duration.ofDays(30));
        assertTrue(health.get().get(0).contains("expired at"), health.get().toString());
    }

    @Test
    void aStatementThatIsNotCanonicalOrOfAnotherTypeIsRefusedByName() throws Exception {
        store.active();
        byte[] spaced = "{ \"type\": \"printmaster.key-delegation.v1\" }".getBytes(StandardCharsets.UTF_8);
        assertEquals("statement_base64", assertThrows(StatementRefusedException.class,
                () -> store.acceptRootStatement(spaced, ed25519.sign(root.privateKey(), spaced), "admin")).field());
        byte[] other = CanonicalJson.bytes(Map.of("type", "printmaster.key-rotation.v1"));
        assertEquals("type", assertThrows(StatementRefusedException.class,
                () -> store.acceptRootStatement(other, ed25519.sign(root.privateKey(), other), "admin")).field());
        assertEquals("signature", assertThrows(StatementRefusedException.class,
                () -> store.acceptRootStatement(other, new byte[3], "admin")).field());
        assertFalse(store.root().isPresent());
        assertEquals(0, store.trustVersion());
    }

    private AcceptedStatement accept(byte[] statement, KeyMaterial signer) throws Exception {
        return store.acceptRootStatement(statement, ed25519.sign(signer.privateKey(), statement), "admin");
    }

    private static byte[] delegation(KeyMaterial byRoot, byte[] key, Instant issued, Instant expires) {
        return CanonicalJson.bytes(Map.of(
                "type", TrustStatement.DELEGATION_TYPE,
                "root_key_id", SigningKeyStore.keyId(byRoot.publicKey()),
                "root_public_key", Base64.getEncoder().encodeToString(byRoot.publicKey()),
                "key_id", SigningKeyStore.keyId(key),
                "public_key", Base64.getEncoder().encodeToString(key),
                "issued_at", issued.toString(),
                "expires_at", expires.toString()));
    }

    private static byte[] revocation(KeyMaterial byRoot, String keyId) {
        return CanonicalJson.bytes(Map.of(
                "type", TrustStatement.REVOCATION_TYPE,
                "key_id", keyId,
                "reason", "compromised",
                "revoked_at", START.toString(),
                "signer_key_id", SigningKeyStore.keyId(byRoot.publicKey())));
    }

    private static void assertArrayEqualsText(byte[] expected, byte[] actual) {
        assertEquals(new String(expected, StandardCharsets.UTF_8), new String(actual, StandardCharsets.UTF_8));
    }

    /** A clock a test moves forward. */
    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
