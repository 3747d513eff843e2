package io.printmaster.server.agents.impl;

import io.printmaster.security.api.SecretBox;
import io.printmaster.server.agents.api.InstallerToken;
import io.printmaster.server.agents.api.JoinTokens;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterLease;
import io.printmaster.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Join tokens: fleet-scoped, expiring, optionally limited in uses, revocable; stored only as SHA-256. The installer
 * token of a fleet (see {@link JoinTokens}) is always limited in uses (100 unless configured) and also keeps its text
 * sealed with the {@link SecretBox}, bound to its id as associated data, so it can be embedded again in every
 * installer built while it is valid; a dedicated installer token (one installer's own) is not kept. Every change and its
 * audit entry commit together; the audit never holds a token's text.
 */
@Component(service = {JoinTokenStore.class, JoinTokens.class})
public class JoinTokenStore implements JoinTokens {
    private static final Logger LOG = LoggerFactory.getLogger(JoinTokenStore.class);

    static final int DEFAULT_TTL_HOURS = 168;
    static final int MAX_TTL_HOURS = 8760;
    /**
     * An installer token is reused only while it stays valid at least this long: an installer is often run hours or
     * days after its download, and one carrying a token about to expire would fail to enroll.
     */
    static final Duration INSTALLER_MIN_REMAINING = Duration.ofDays(1);

    /** A token as listed; never carries the secret. */
    public record JoinTokenInfo(String id, String fleetId, Instant expiresAt, Integer maxUses, int uses,
                                Instant revokedAt, Instant createdAt, String createdBy, boolean installer) {
        boolean usableAt(Instant now) {
            return revokedAt == null && expiresAt.isAfter(now) && (maxUses == null || uses < maxUses);
        }
    }

    /** A freshly minted token: the only time its text is returned. */
    record NewJoinToken(String token, JoinTokenInfo info) {
        @Override
        public String toString() {
            return "NewJoinToken[" + info + "]";
        }
    }

    /** Between replicas, one mints a fleet's installer token at a time; null when this process is alone (tests). */
    private final ClusterLease lease;
    private static final Duration MINT_LEASE_TTL = Duration.ofSeconds(30);
    private static final Duration MINT_LEASE_WAIT = Duration.ofSeconds(10);
    private final Database database;
    private final AuditLog audit;
    private final FleetDirectory fleets;
    private final SecretBox secretBox;
    private final AgentSecrets secrets;
    private final Clock clock;
    /** One lock per fleet: concurrent installer builds for a fleet must get the same token, not mint one each. */
    private final Map<String, Object> installerLocks = new ConcurrentHashMap<>();

    @Activate
    public JoinTokenStore(@Reference Database database, @Reference AuditLog audit, @Reference FleetDirectory fleets,
                          @Reference SecretBox secretBox, @Reference ClusterLease lease) throws Exception {
        this(database, audit, fleets, secretBox, new AgentSecrets(new SecureRandom()), Clock.systemUTC(), lease);
    }

    /** A process alone on its database (tests). */
    JoinTokenStore(Database database, AuditLog audit, FleetDirectory fleets, SecretBox secretBox, AgentSecrets secrets,
                   Clock clock) throws Exception {
        this(database, audit, fleets, secretBox, secrets, clock, null);
    }

    JoinTokenStore(Database database, AuditLog audit, FleetDirectory fleets, SecretBox secretBox, AgentSecrets secrets,
                   Clock clock, ClusterLease lease) throws Exception {
        this.lease = lease;
        this.database = database;
        this.audit = audit;
        this.fleets = fleets;
        this.secretBox = secretBox;
        this.secrets = secrets;
        this.clock = clock;
        AgentsSchema.ensure(database);
    }

    /**
     * Mints a token an admin asked for; its text is returned once and only its hash is kept.
     *
     * @param maxUses null for unlimited
     * @throws IllegalArgumentException when the fleet does not exist or a value is out of range
     */
    NewJoinToken create(String fleetId, int ttlHours, Integer maxUses, String actor) throws SQLException {
        requireFleet(fleetId);
        if (ttlHours < 1 || ttlHours > MAX_TTL_HOURS) {
            throw new IllegalArgumentException("ttl_hours must be between 1 and " + MAX_TTL_HOURS);
        }
        if (maxUses != null && maxUses < 1) {
            throw new IllegalArgumentException("max_uses must be at least 1 (or null for unlimited)");
        }
        return insert(fleetId, ttlHours, maxUses, false, false, actor);
    }

    @Override
    public InstallerToken installerToken(String fleetId, String actor) throws SQLException {
        return installerToken(fleetId, DEFAULT_INSTALLER_MAX_USES, actor);
    }

    @Override
    public InstallerToken installerToken(String fleetId, int maxUses, String actor) throws SQLException {
        requireInstallerMaxUses(maxUses);
        Object lock = installerLocks.computeIfAbsent(fleetId, k -> new Object());
        synchronized (lock) {
            Instant fleetCreatedAt = requireFleet(fleetId);
            Instant now = clock.instant();
            for (Sealed s : usableInstallerTokens(fleetId, maxUses, fleetCreatedAt, now.plus(INSTALLER_MIN_REMAINING))) {
                try {
                    String text = new String(secretBox.open(Base64.getDecoder().decode(s.sealed()), associatedData(s.id())),
                            StandardCharsets.UTF_8);
                    return new InstallerToken(s.id(), fleetId, text, s.expiresAt());
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    // another master key, or an altered row: that token cannot be embedded; mint a new one
                    LOG.warn("installer join token {} of fleet {} cannot be unsealed ({}); minting a new one", s.id(),
                            fleetId, e.toString());
                }
            }
            return mintInstallerToken(fleetId, maxUses, fleetCreatedAt, actor);
        }
    }

    /**
     * Mints the fleet's installer token. The lock above keeps one thread of this process minting; between replicas,
     * a lease named after the fleet does: the replica that waited for it looks again and embeds the token the other
     * one minted, so installers from every replica carry the same token (and its {@code max_uses} bounds them all).
     */
    private InstallerToken mintInstallerToken(String fleetId, int maxUses, Instant fleetCreatedAt, String actor)
            throws SQLException {
        String name = lease == null ? null : "installer-token." + AgentSecrets.sha256Hex(fleetId).substring(0, 32);
        if (name != null) {
            long giveUp = System.nanoTime() + MINT_LEASE_WAIT.toNanos();
            while (!lease.tryAcquire(name, MINT_LEASE_TTL)) {
                if (System.nanoTime() > giveUp) {
                    throw new SQLException("another server replica is minting fleet " + fleetId
                            + "'s installer join token and did not finish within " + MINT_LEASE_WAIT.toSeconds() + " s");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
        }
        try {
            if (name != null) {
                Instant validUntil = clock.instant().plus(INSTALLER_MIN_REMAINING);
                for (Sealed s : usableInstallerTokens(fleetId, maxUses, fleetCreatedAt, validUntil)) {
                    try {
                        String text = new String(secretBox.open(Base64.getDecoder().decode(s.sealed()),
                                associatedData(s.id())), StandardCharsets.UTF_8);
                        return new InstallerToken(s.id(), fleetId, text, s.expiresAt()); // the other replica's
                    } catch (GeneralSecurityException | IllegalArgumentException e) {
                        // unreadable here: mint a new one below, as without replicas
                    }
                }
            }
            NewJoinToken minted = insert(fleetId, DEFAULT_TTL_HOURS, maxUses, true, true, actor);
            return new InstallerToken(minted.info().id(), fleetId, minted.token(), minted.info().expiresAt());
        } finally {
            if (name != null) {
                lease.release(name);
            }
        }
    }

    @Override
    public InstallerToken dedicatedInstallerToken(String fleetId, int maxUses, String actor) throws SQLException {
        requireInstallerMaxUses(maxUses);
        requireFleet(fleetId);
        // not sealed: with no text kept, no later installer can embed it
        NewJoinToken minted = insert(fleetId, DEFAULT_TTL_HOURS, maxUses, true, false, actor);
        return new InstallerToken(minted.info().id(), fleetId, minted.token(), minted.info().expiresAt());
    }

    private static void requireInstallerMaxUses(int maxUses) {
        if (maxUses < 1 || maxUses > MAX_INSTALLER_MAX_USES) {
            throw new IllegalArgumentException("max_uses must be between 1 and " + MAX_INSTALLER_MAX_USES + ", not " + maxUses);
        }
    }

    /** The page size bound of {@link #page}. */
    static final int MAX_PAGE = 500;

    /** Where a page of a fleet's tokens starts: after this token in the listing's order. */
    record TokenCursor(Instant createdAt, String id) {
    }

    /** The fleet's first {@value #MAX_PAGE} tokens, newest first, without secrets. */
    List<JoinTokenInfo> list(String fleetId) throws SQLException {
        return page(fleetId, null, MAX_PAGE);
    }

    /**
     * A page of the fleet's tokens, newest first (then by id), without secrets: those after {@code after} (null:
     * from the first), at most {@code limit} (1..{@value #MAX_PAGE}).
     */
    List<JoinTokenInfo> page(String fleetId, TokenCursor after, int limit) throws SQLException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE + ", was " + limit);
        }
        String keyset = after == null ? "" : " AND (CREATED_AT < ? OR (CREATED_AT = ? AND ID > ?))";
        return database.read(c -> {
            List<JoinTokenInfo> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE FLEET_ID = ?" + keyset
                    + " ORDER BY CREATED_AT DESC, ID FETCH FIRST " + limit + " ROWS ONLY")) {
                ps.setString(1, fleetId);
                if (after != null) {
                    ps.setTimestamp(2, Timestamp.from(after.createdAt()));
                    ps.setTimestamp(3, Timestamp.from(after.createdAt()));
                    ps.setString(4, after.id());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Revokes a token of this fleet at once (enrollment checks revocation in its own transaction).
     *
     * @return false when the fleet has no such token
     */
    boolean revoke(String fleetId, String tokenId, String actor) throws SQLException {
        Instant now = clock.instant();
        return database.inTransaction(c -> {
            Optional<JoinTokenInfo> before = find(c, tokenId).filter(t -> t.fleetId().equals(fleetId));
            if (before.isEmpty()) {
                return false;
            }
            if (before.get().revokedAt() != null) {
                return true;
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_JOIN_TOKEN SET REVOKED_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, tokenId);
                ps.executeUpdate();
            }
            Map<String, Object> after = describe(before.get());
            after.put("revoked_at", now.toString());
            audit.record(c, actor, "join_token.revoke", "join_token:" + tokenId, fleetId, describe(before.get()), after);
            return true;
        });
    }

    /**
     * Takes one use of the token with this hash on the caller's transaction, when it is usable at {@code now}. The
     * check and the increment are one conditional UPDATE: the row lock makes concurrent enrollments count exactly,
     * so a token with {@code max_uses} N enrolls at most N agents.
     *
     * @return the token as it was before this use, or empty when it is unknown, revoked, expired or used up
     */
    static Optional<JoinTokenInfo> consume(Connection c, String tokenHash, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_JOIN_TOKEN SET USES = USES + 1 WHERE TOKEN_SHA256 = ?"
                + " AND REVOKED_AT IS NULL AND EXPIRES_AT > ? AND (MAX_USES IS NULL OR USES < MAX_USES)")) {
            ps.setString(1, tokenHash);
            ps.setTimestamp(2, Timestamp.from(now));
            if (ps.executeUpdate() != 1) {
                return Optional.empty();
            }
        }
        return findByHash(c, tokenHash);
    }

    private NewJoinToken insert(String fleetId, int ttlHours, Integer maxUses, boolean installer, boolean keepSealed,
                                String actor) throws SQLException {
        String token = secrets.secret(AgentSecrets.JOIN_TOKEN_PREFIX);
        String id = secrets.id(AgentSecrets.JOIN_TOKEN_ID_PREFIX);
        Instant now = clock.instant();
        JoinTokenInfo info = new JoinTokenInfo(id, fleetId, now.plus(Duration.ofHours(ttlHours)), maxUses, 0, null, now,
                actor, installer);
        String sealed = keepSealed ? seal(token, id) : null;
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_JOIN_TOKEN (ID, FLEET_ID, TOKEN_SHA256, INSTALLER,"
                    + " SEALED_TOKEN, MAX_USES, USES, CREATED_AT, CREATED_BY, EXPIRES_AT) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, fleetId);
                ps.setString(3, AgentSecrets.sha256Hex(token));
                ps.setBoolean(4, installer);
                ps.setString(5, sealed);
                if (maxUses == null) {
                    ps.setNull(6, Types.INTEGER);
                } else {
                    ps.setInt(6, maxUses);
                }
                ps.setTimestamp(7, Timestamp.from(now));
                ps.setString(8, actor);
                ps.setTimestamp(9, Timestamp.from(info.expiresAt()));
                ps.executeUpdate();
            }
            audit.record(c, actor, "join_token.create", "join_token:" + id, fleetId, null, describe(info));
            return null;
        });
        return new NewJoinToken(token, info);
    }

    private String seal(String token, String id) {
        try {
            return Base64.getEncoder().encodeToString(secretBox.seal(token.getBytes(StandardCharsets.UTF_8), associatedData(id)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal the installer join token", e);
        }
    }

    /** Binds a sealed token to its row: moved to another row, it does not open. */
    static byte[] associatedData(String tokenId) {
        return ("join-token:" + tokenId).getBytes(StandardCharsets.UTF_8);
    }

    private record Sealed(String id, String sealed, Instant expiresAt) {
    }

    /**
     * The sealed installer tokens with exactly {@code maxUses}. Tokens minted before {@code fleetCreatedAt} belong to a
     * deleted fleet of the same id and never count.
     */
    private List<Sealed> usableInstallerTokens(String fleetId, int maxUses, Instant fleetCreatedAt, Instant validUntil)
            throws SQLException {
        return database.read(c -> {
            List<Sealed> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT ID, SEALED_TOKEN, EXPIRES_AT FROM PM_JOIN_TOKEN"
                    + " WHERE FLEET_ID = ? AND INSTALLER = TRUE AND REVOKED_AT IS NULL AND EXPIRES_AT > ?"
                    + " AND SEALED_TOKEN IS NOT NULL AND MAX_USES = ? AND USES < MAX_USES AND CREATED_AT >= ?"
                    + " ORDER BY EXPIRES_AT DESC")) {
                ps.setString(1, fleetId);
                ps.setTimestamp(2, Timestamp.from(validUntil));
                ps.setInt(3, maxUses);
                ps.setTimestamp(4, Timestamp.from(fleetCreatedAt));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Sealed(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
                    }
                }
            }
            return out;
        });
    }

    /** @return when the fleet was created */
    private Instant requireFleet(String fleetId) throws SQLException {
        return (fleetId == null ? Optional.<io.printmaster.server.fleets.api.Fleet>empty() : fleets.find(fleetId))
                .orElseThrow(() -> new IllegalArgumentException("fleet '" + fleetId + "' does not exist")).createdAt();
    }

    private static final String SELECT = "SELECT ID, FLEET_ID, EXPIRES_AT, MAX_USES, USES, REVOKED_AT, CREATED_AT,"
            + " CREATED_BY, INSTALLER FROM PM_JOIN_TOKEN";
    private static final String SELECT_WITH_HASH = "SELECT ID, FLEET_ID, EXPIRES_AT, MAX_USES, USES, REVOKED_AT,"
            + " CREATED_AT, CREATED_BY, INSTALLER, TOKEN_SHA256 FROM PM_JOIN_TOKEN";

    private static Optional<JoinTokenInfo> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    static Optional<JoinTokenInfo> findByHash(Connection c, String hash) throws SQLException {
        // looked up by the hash of the presented secret, so the index lookup's timing tells nothing about a stored
        // secret; the found hash is compared again in constant time, whatever the column's collation does
        try (PreparedStatement ps = c.prepareStatement(SELECT_WITH_HASH + " WHERE TOKEN_SHA256 = ?")) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && AgentSecrets.constantTimeEquals(hash, rs.getString(10))) {
                    return Optional.of(row(rs));
                }
                return Optional.empty();
            }
        }
    }

    private static JoinTokenInfo row(ResultSet rs) throws SQLException {
        int maxUses = rs.getInt(4);
        Integer max = rs.wasNull() ? null : maxUses;
        return new JoinTokenInfo(rs.getString(1), rs.getString(2), instant(rs.getTimestamp(3)), max, rs.getInt(5),
                instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)), rs.getString(8), rs.getBoolean(9));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** The audit form: never the token's text. */
    static Map<String, Object> describe(JoinTokenInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("fleet", t.fleetId());
        m.put("installer", t.installer());
        m.put("expires_at", t.expiresAt().toString());
        m.put("max_uses", t.maxUses());
        return m;
    }
}
