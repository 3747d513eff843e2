package io.printmaster.server.signing.impl;

import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.security.api.SecretBox;
import io.printmaster.server.signing.api.AcceptedStatement;
import io.printmaster.server.signing.api.AgentTrust;
import io.printmaster.server.signing.api.CanonicalJson;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.StatementRefusedException;
import io.printmaster.server.signing.api.TrustStatement;
import io.printmaster.server.signing.api.ManifestSigner;
import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.RotationStatement;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's Ed25519 signing keys in the database (module {@value #MODULE}), signing through the configured
 * {@link SigningProvider}.
 *
 * <p>One component for both services because private keys must never leave it: they are stored sealed with the
 * {@link SecretBox} (associated data {@code "signing-key:" + id}, so a sealed key cannot be moved to another row),
 * opened only for the moment of a signature, and wiped after use. They are never logged, returned, audited or part
 * of any {@code toString}.
 *
 * <p>Key ids are the first 16 hex digits of the SHA-256 of the raw public key: derived from the key, so an agent can
 * check that a public key matches the id it is told.
 *
 * <p>Which provider signs is chosen by configuration {@value #PID} ({@code provider}, default
 * {@code bouncycastle}), applied as the reference target {@code SigningProvider.target}; see
 * {@link ProviderSelection}.
 */
@Component(service = {SigningKeys.class, ManifestSigner.class}, configurationPid = SigningKeyStore.PID, immediate = true)
@Designate(ocd = SigningConfiguration.class)
public class SigningKeyStore implements SigningKeys, ManifestSigner {
    static final String PID = "io.printmaster.server.signing";
    static final String MODULE = "signing";
    static final String SYSTEM_ACTOR = "system";
    static final int MAX_NOTES = 2000;
    static final int MAX_REASON = 500;
    private static final int ID_HEX_DIGITS = 16;
    private static final Logger LOG = LoggerFactory.getLogger(SigningKeyStore.class);

    private final SigningProvider provider;
    private final Database database;
    private final AuditLog audit;
    private final SecretBox secretBox;
    private final Clock clock;
    /** Tells every replica's caches of trust statements and keys that they changed. */
    @Reference
    volatile ClusterSignals signals;

    @Activate
    public SigningKeyStore(
            @Reference(name = ProviderSelection.REFERENCE, target = ProviderSelection.DEFAULT_TARGET)
            Map.Entry<Map<String, Object>, SigningProvider> provider,
            @Reference Database database, @Reference AuditLog audit, @Reference SecretBox secretBox,
            SigningConfiguration config) throws SchemaException {
        this(selected(provider, config.provider()), database, audit, secretBox, Clock.systemUTC());
    }

    SigningKeyStore(SigningProvider provider, Database database, AuditLog audit, SecretBox secretBox, Clock clock)
            throws SchemaException {
        if (!SigningProvider.ED25519.equals(provider.algorithm())) {
            throw new IllegalStateException("the signing provider implements " + provider.algorithm() + ", not Ed25519");
        }
        this.provider = provider;
        this.database = database;
        this.audit = audit;
        this.secretBox = secretBox;
        this.clock = clock;
        database.migrate(MODULE, Migrations.fromClasspath(SigningKeyStore.class, MODULE));
    }

    /** Refuses to run with another provider than the configured one (it would mean the target was not applied). */
    static SigningProvider selected(Map.Entry<Map<String, Object>, SigningProvider> bound, Object configured) {
        String wanted = ProviderSelection.providerName(configured);
        Object name = bound.getKey().get(SigningProvider.NAME);
        if (!wanted.equals(name)) {
            throw new IllegalStateException("signing provider '" + wanted + "' is configured but '" + name
                    + "' was bound; refusing to sign with another provider than the configured one");
        }
        LOG.info("signing with provider '{}'", name);
        return bound.getValue();
    }

    @Override
    public List<SigningKey> list() throws SQLException {
        return database.read(JdbcSigningKeys::list);
    }

    @Override
    public Optional<SigningKey> find(String keyId) throws SQLException {
        return database.read(c -> JdbcSigningKeys.find(c, keyId)).map(StoredKey::key);
    }

    @Override
    public List<RotationStatement> statements() throws SQLException {
        return database.read(JdbcSigningKeys::statements);
    }

    @Override
    public SigningKey active() throws SigningException {
        return activeStored().key();
    }

    @Override
    public Signature sign(byte[] message) throws SigningException {
        StoredKey key = activeStored();
        Instant until = key.key().delegatedUntil();
        if (until != null && !now().isBefore(until)) {
            // agents under the root refuse what an undelegated key signs: never sign what they will refuse
            throw new SigningException("the root's delegation of the active signing key " + key.key().id()
                    + " expired at " + until + ": post a new delegation (./pm keys delegate) or rotate");
        }
        return new Signature(key.key().id(), signWith(key, message));
    }

    @Override
    public boolean verify(String keyId, byte[] message, byte[] signature) throws SigningException {
        Optional<SigningKey> key;
        try {
            key = find(keyId);
        } catch (SQLException e) {
            throw unreadable(e);
        }
        return key.isPresent() && provider.verify(key.get().publicKey(), message, signature);
    }

    @Override
    public Rotation rotate(String notes, String actor) throws SigningException {
        if (notes != null && notes.length() > MAX_NOTES) {
            throw new IllegalArgumentException("notes: at most " + MAX_NOTES + " characters, got " + notes.length());
        }
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("actor: required");
        }
        activeStored(); // every rotation starts from a key: create the first one when there is none
        try {
            if (root().isPresent()) {
                throw new IllegalStateException("a root of trust is configured: a new key signs nothing before the "
                        + "root delegated it (rotate makes a pending key; post its delegation to activate it)");
            }
        } catch (SQLException e) {
            throw unreadable(e);
        }
        NewKey next = newKey(notes);
        try {
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                StoredKey old = JdbcSigningKeys.active(c)
                        .orElseThrow(() -> new SQLException("no active signing key to rotate from"));
                Instant now = now();
                SigningKey created = next.at(now);
                RotationStatement signed = rotationStatement(old, created, now);
                byte[] statement = signed.statement();
                JdbcSigningKeys.retire(c, old.key().id(), now);
                JdbcSigningKeys.insert(c, created, next.sealedPrivateKey());
                JdbcSigningKeys.insertStatement(c, signed, now);
                JdbcSigningKeys.insertTrust(c, TrustStatement.ROTATION, created.id(), old.key().id(), statement,
                        signed.signature(), now);
                SigningKey retired = JdbcSigningKeys.find(c, old.key().id()).orElseThrow().key();
                Map<String, Object> after = new LinkedHashMap<>();
                after.put("active_key", created);
                after.put("retired_key", retired);
                after.put("statement", new String(statement, StandardCharsets.UTF_8));
                audit.record(c, actor, "signing_key.rotate", "signing_key:" + created.id(), null,
                        Map.of("active_key", old.key()), after);
                LOG.info("signing key rotated from {} to {} by {}", old.key().id(), created.id(), actor);
                return new Rotation(created, signed);
            });
        } catch (CryptoFailure e) {
            throw e.failure;
        } catch (SQLException e) {
            throw new SigningException("the signing key was not rotated: " + e.getMessage(), e);
        }
    }

    @Override
    public long trustVersion() throws SQLException {
        return database.read(JdbcSigningKeys::trustVersion);
    }

    @Override
    public List<TrustStatement> trustStatements(long after) throws SQLException {
        return database.read(c -> JdbcSigningKeys.trustStatements(c, after));
    }

    @Override
    public Optional<RootKey> root() throws SQLException {
        return database.read(JdbcSigningKeys::root);
    }

    @Override
    public TrustStatement revoke(String keyId, String reason, String actor) throws SigningException {
        if (reason == null || reason.isBlank() || reason.strip().length() > MAX_REASON) {
            throw new IllegalArgumentException("reason: required, at most " + MAX_REASON + " characters");
        }
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("actor: required");
        }
        String why = reason.strip();
        activeStored();
        try {
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                SigningKey target = JdbcSigningKeys.find(c, keyId)
                        .orElseThrow(() -> new NoSuchElementException("signing key " + keyId)).key();
                if (target.active()) {
                    throw new IllegalStateException("key " + keyId + " is the active key: rotate first, then revoke it");
                }
                if (target.revokedAt() != null) {
                    throw new IllegalStateException("key " + keyId + " was already revoked at " + target.revokedAt());
                }
                StoredKey signer = JdbcSigningKeys.active(c).orElseThrow(() -> new SQLException("no active signing key"));
                Instant now = now();
                byte[] statement = CanonicalJson.bytes(Map.of(
                        "type", TrustStatement.REVOCATION_TYPE,
                        "key_id", keyId,
                        "reason", why,
                        "revoked_at", DateTimeFormatter.ISO_INSTANT.format(now),
                        "signer_key_id", signer.key().id()));
                byte[] signature;
                try {
                    signature = signWith(signer, statement);
                } catch (SigningException e) {
                    throw new CryptoFailure(e);
                }
                JdbcSigningKeys.markRevoked(c, keyId, now, why);
                TrustStatement stored = JdbcSigningKeys.insertTrust(c, TrustStatement.REVOCATION, keyId,
                        signer.key().id(), statement, signature, now);
                audit.record(c, actor, "signing_key.revoke", "signing_key:" + keyId, null, Map.of("key", target),
                        Map.of("reason", why, "statement", stored.statementText(), "sequence", stored.sequence()));
                LOG.warn("signing key {} revoked by {} (statement {}): {}", keyId, actor, stored.sequence(), why);
                return stored;
            });
        } catch (CryptoFailure e) {
            throw e.failure;
        } catch (SQLException e) {
            throw new SigningException("the signing key was not revoked: " + e.getMessage(), e);
        }
    }

    @Override
    public SigningKey addPendingKey(String notes, String actor) throws SigningException {
        if (notes != null && notes.length() > MAX_NOTES) {
            throw new IllegalArgumentException("notes: at most " + MAX_NOTES + " characters, got " + notes.length());
        }
        try {
            if (root().isEmpty()) {
                throw new IllegalStateException("no root of trust is configured: rotate makes the new key active at once");
            }
        } catch (SQLException e) {
            throw unreadable(e);
        }
        NewKey next = newKey(notes);
        try {
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                SigningKey pending = next.pendingAt(now());
                JdbcSigningKeys.insert(c, pending, next.sealedPrivateKey());
                audit.record(c, actor, "signing_key.create_pending", "signing_key:" + pending.id(), null, null,
                        Map.of("pending_key", pending));
                LOG.info("signing key {} created, pending the root's delegation, by {}", pending.id(), actor);
                return pending;
            });
        } catch (SQLException e) {
            throw new SigningException("the pending key was not created: " + e.getMessage(), e);
        }
    }

    @Override
    public AcceptedStatement acceptRootStatement(byte[] statement, byte[] signature, String actor)
            throws StatementRefusedException, SigningException {
        if (signature == null || signature.length != 64) {
            throw new StatementRefusedException("signature", "an Ed25519 signature of 64 bytes, base64");
        }
        Map<String, String> members = RootStatements.members(statement);
        String type = RootStatements.type(members);
        activeStored();
        try {
            Optional<RootKey> root = root();
            if (TrustStatement.DELEGATION_TYPE.equals(type)) {
                return acceptDelegation(RootStatements.delegation(members, statement, signature, provider, now()),
                        root, statement, signature, actor);
            }
            if (TrustStatement.REVOCATION_TYPE.equals(type)) {
                RootKey r = root.orElseThrow(() -> new StatementRefusedException("signer_key_id",
                        "no root of trust is configured yet: post a root-signed delegation first", true));
                return acceptRevocation(RootStatements.revocation(members, statement, signature, r.id(), r.publicKey(),
                        provider), statement, signature, actor);
            }
        } catch (SQLException e) {
            throw unreadable(e);
        }
        throw new StatementRefusedException("type", "the statement's type '" + type + "' is neither "
                + TrustStatement.DELEGATION_TYPE + " nor " + TrustStatement.REVOCATION_TYPE);
    }

    private AcceptedStatement acceptDelegation(RootStatements.Delegation d, Optional<RootKey> root, byte[] statement,
                                               byte[] signature, String actor)
            throws StatementRefusedException, SigningException, SQLException {
        if (root.isPresent() && !root.get().id().equals(d.rootKeyId())) {
            throw new StatementRefusedException("root_key_id", "the server's root of trust is " + root.get().id()
                    + ", not " + d.rootKeyId() + ": changing the root is refused", true);
        }
        SigningKey key = find(d.keyId()).orElseThrow(() -> new StatementRefusedException("key_id", "key "
                + d.keyId() + " is not a signing key of this server"));
        if (!Arrays.equals(key.publicKey(), d.publicKey())) {
            throw new StatementRefusedException("public_key", "public_key is not the server's key " + d.keyId());
        }
        if (key.revokedAt() != null) {
            throw new StatementRefusedException("key_id", "key " + d.keyId() + " was revoked", true);
        }
        if (!key.active() && !key.pending()) {
            throw new StatementRefusedException("key_id", "key " + d.keyId()
                    + " is retired: delegate the active key or a pending one", true);
        }
        StoredKey pendingStored = key.pending() ? database.read(c -> JdbcSigningKeys.find(c, d.keyId())).orElseThrow()
                : null;
        try {
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                Instant now = now();
                if (JdbcSigningKeys.root(c).isEmpty()) {
                    JdbcSigningKeys.insertRoot(c, d.rootKeyId(), d.rootPublicKey(), now);
                    LOG.warn("root of trust {} configured by {}: from now on new keys need its delegation",
                            d.rootKeyId(), actor);
                }
                TrustStatement stored = JdbcSigningKeys.insertTrust(c, TrustStatement.DELEGATION, d.keyId(),
                        d.rootKeyId(), statement, signature, now);
                JdbcSigningKeys.markDelegated(c, d.keyId(), d.expiresAt());
                Optional<io.printmaster.server.signing.api.Rotation> activation = Optional.empty();
                if (pendingStored != null) {
                    activation = Optional.of(activate(c, pendingStored, now, actor));
                }
                audit.record(c, actor, "signing_key.delegate", "signing_key:" + d.keyId(), null, null,
                        Map.of("root_key_id", d.rootKeyId(), "expires_at", d.expiresAt().toString(),
                                "sequence", stored.sequence(), "activated", activation.isPresent()));
                LOG.info("root {} delegated key {} until {} (statement {})", d.rootKeyId(), d.keyId(), d.expiresAt(),
                        stored.sequence());
                return new AcceptedStatement(stored, activation);
            });
        } catch (CryptoFailure e) {
            throw e.failure;
        } catch (SQLException e) {
            throw new SigningException("the delegation was not stored: " + e.getMessage(), e);
        }
    }

    /** The statement by which {@code old} hands over to {@code next}, signed by {@code old}. */
    private RotationStatement rotationStatement(StoredKey old, SigningKey next, Instant now) throws CryptoFailure {
        byte[] statement = CanonicalJson.bytes(Map.of(
                "type", RotationStatement.TYPE,
                "old_key_id", old.key().id(),
                "new_key_id", next.id(),
                "new_public_key", Base64.getEncoder().encodeToString(next.publicKey()),
                "rotated_at", DateTimeFormatter.ISO_INSTANT.format(now)));
        try {
            return new RotationStatement(old.key().id(), next.id(), statement, signWith(old, statement));
        } catch (SigningException e) {
            throw new CryptoFailure(e);
        }
    }

    /** The rotation to a pending key its delegation just authorized: the previous key signs it and retires. */
    private io.printmaster.server.signing.api.Rotation activate(Connection c, StoredKey pending, Instant now,
                                                                  String actor) throws SQLException {
        StoredKey old = JdbcSigningKeys.active(c).orElseThrow(() -> new SQLException("no active signing key"));
        SigningKey next = pending.key();
        RotationStatement signed = rotationStatement(old, next, now);
        byte[] statement = signed.statement();
        JdbcSigningKeys.retire(c, old.key().id(), now);
        JdbcSigningKeys.activatePending(c, next.id());
        JdbcSigningKeys.insertStatement(c, signed, now);
        JdbcSigningKeys.insertTrust(c, TrustStatement.ROTATION, next.id(), old.key().id(), statement, signed.signature(),
                now);
        SigningKey activated = JdbcSigningKeys.find(c, next.id()).orElseThrow().key();
        audit.record(c, actor, "signing_key.rotate", "signing_key:" + next.id(), null, Map.of("active_key", old.key()),
                Map.of("active_key", activated, "statement", new String(statement, StandardCharsets.UTF_8)));
        LOG.info("signing key rotated from {} to the delegated key {} by {}", old.key().id(), next.id(), actor);
        return new io.printmaster.server.signing.api.Rotation(activated, signed);
    }

    private AcceptedStatement acceptRevocation(RootStatements.Revocation r, byte[] statement, byte[] signature,
                                               String actor) throws StatementRefusedException, SigningException {
        SigningKey key;
        try {
            key = find(r.keyId()).orElseThrow(() -> new StatementRefusedException("key_id", "key " + r.keyId()
                    + " is not a signing key of this server"));
        } catch (SQLException e) {
            throw unreadable(e);
        }
        if (key.active()) {
            throw new StatementRefusedException("key_id", "key " + r.keyId()
                    + " is the active key: rotate first, then post its revocation", true);
        }
        if (key.revokedAt() != null) {
            throw new StatementRefusedException("key_id", "key " + r.keyId() + " was already revoked", true);
        }
        try {
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                Instant now = now();
                JdbcSigningKeys.markRevoked(c, r.keyId(), now, r.reason().isBlank() ? "revoked by the root" : r.reason());
                TrustStatement stored = JdbcSigningKeys.insertTrust(c, TrustStatement.REVOCATION, r.keyId(),
                        r.signerKeyId(), statement, signature, now);
                audit.record(c, actor, "signing_key.revoke", "signing_key:" + r.keyId(), null, Map.of("key", key),
                        Map.of("signed_by", r.signerKeyId(), "sequence", stored.sequence()));
                LOG.warn("signing key {} revoked by the root (statement {})", r.keyId(), stored.sequence());
                return new AcceptedStatement(stored, Optional.empty());
            });
        } catch (SQLException e) {
            throw new SigningException("the revocation was not stored: " + e.getMessage(), e);
        }
    }

    @Override
    public AgentTrust agentTrust() throws SigningException {
        SigningKey active = activeStored().key();
        try {
            return database.read(c -> {
                Optional<RootKey> root = JdbcSigningKeys.root(c);
                List<TrustStatement> all = JdbcSigningKeys.trustStatements(c, 0);
                List<TrustStatement> needed = List.of();
                if (root.isPresent()) {
                    // under a root the active key is usable only with its newest delegation
                    needed = all.stream().filter(t -> TrustStatement.DELEGATION.equals(t.type())
                            && t.keyId().equals(active.id())).reduce((a, b) -> b).stream().toList();
                }
                long version = all.isEmpty() ? 0 : all.get(all.size() - 1).sequence();
                return new AgentTrust(version, active, root.orElse(null), needed, active.delegatedUntil());
            });
        } catch (SQLException e) {
            throw unreadable(e);
        }
    }

    /** The active key with its sealed private key, creating the first key when there is none. */
    private StoredKey activeStored() throws SigningException {
        try {
            Optional<StoredKey> current = database.read(JdbcSigningKeys::active);
            if (current.isPresent()) {
                return current.get();
            }
            NewKey first = newKey("created automatically on first use");
            return database.inTransaction(c -> {
                JdbcSigningKeys.lock(c);
                publishKeysChanged(c); // every write to keys and statements runs under this lock
                Optional<StoredKey> raced = JdbcSigningKeys.active(c);
                if (raced.isPresent()) {
                    return raced.get(); // another caller created it while we waited for the lock
                }
                SigningKey key = first.at(now());
                JdbcSigningKeys.insert(c, key, first.sealedPrivateKey());
                audit.record(c, SYSTEM_ACTOR, "signing_key.create", "signing_key:" + key.id(), null, null,
                        Map.of("active_key", key));
                LOG.info("signing key {} created (first key)", key.id());
                return new StoredKey(key, first.sealedPrivateKey());
            });
        } catch (SQLException e) {
            throw unreadable(e);
        }
    }

    /** A fresh key pair, its id and its sealed private key: the slow, fallible part, done before any transaction. */
    private NewKey newKey(String notes) throws SigningException {
        KeyMaterial pair = provider.generateKeyPair();
        byte[] privateKey = pair.privateKey();
        try {
            String id = keyId(pair.publicKey());
            return new NewKey(id, pair.publicKey(), secretBox.seal(privateKey, associatedData(id)), notes);
        } catch (GeneralSecurityException e) {
            throw new SigningException("the new private key cannot be sealed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(privateKey, (byte) 0);
        }
    }

    private byte[] signWith(StoredKey key, byte[] message) throws SigningException {
        byte[] privateKey;
        try {
            privateKey = secretBox.open(key.sealedPrivateKey(), associatedData(key.key().id()));
        } catch (GeneralSecurityException e) {
            throw new SigningException("the private key of signing key " + key.key().id()
                    + " cannot be opened (is the master key the one it was sealed with?)", e);
        }
        try {
            return provider.sign(privateKey, message);
        } finally {
            Arrays.fill(privateKey, (byte) 0);
        }
    }

    /** Binds a sealed private key to its key id, so it cannot be moved to another row. */
    static byte[] associatedData(String keyId) {
        return ("signing-key:" + keyId).getBytes(StandardCharsets.UTF_8);
    }

    /** The first 16 hex digits (lower case) of the SHA-256 of the raw public key. */
    static String keyId(byte[] publicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKey);
            return HexFormat.of().formatHex(digest).substring(0, ID_HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The topic of {@link #publishKeysChanged}: scope and payload none. */
    static final String KEYS_TOPIC = "signing.keys";

    /** Publishes {@value #KEYS_TOPIC} in the write's transaction (skipped by unit tests built without OSGi). */
    private void publishKeysChanged(java.sql.Connection c) throws SQLException {
        ClusterSignals s = signals;
        if (s != null) {
            s.publish(c, KEYS_TOPIC, null, null);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static SigningException unreadable(SQLException e) {
        return new SigningException("the signing keys cannot be read: " + e.getMessage(), e);
    }

    /** A generated key not yet stored. */
    private record NewKey(String id, byte[] publicKey, byte[] sealedPrivateKey, String notes) {
        SigningKey at(Instant createdAt) {
            return new SigningKey(id, SigningProvider.ED25519, publicKey, PublicKeyPem.encode(publicKey), notes, true,
                    createdAt, null);
        }

        SigningKey pendingAt(Instant createdAt) {
            return new SigningKey(id, SigningProvider.ED25519, publicKey, PublicKeyPem.encode(publicKey), notes, false,
                    createdAt, null, true, null, null);
        }
    }

    /** Carries a signing failure out of a transaction (whose work may only throw SQLException) to roll it back. */
    private static final class CryptoFailure extends SQLException {
        private static final long serialVersionUID = 1L;
        private final transient SigningException failure;

        CryptoFailure(SigningException failure) {
            super(failure.getMessage(), failure);
            this.failure = failure;
        }
    }
}
