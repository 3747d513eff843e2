package io.printmaster.server.signing.impl;

import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.RotationStatement;
import io.printmaster.server.signing.api.TrustStatement;
import io.printmaster.server.signing.api.SigningKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;

/**
 * SQL for the signing tables; callers own the connection and the transaction. Timestamps are stored in UTC.
 *
 * <p>"Exactly one active key" is held by the schema and the transactions together: {@code ACTIVE_SLOT} is 1 for the
 * active key and NULL for the others, and it is UNIQUE, so the database refuses a second active key; a rotation
 * retires the old key and inserts the new one in one transaction, so there is never none once the first exists.
 */
final class JdbcSigningKeys {
    private static final String KEY_COLUMNS =
            "ID, ALGORITHM, PUBLIC_KEY, NOTES, ACTIVE_SLOT, CREATED_AT, ROTATED_AT, SEALED_PRIVATE_KEY, PENDING, REVOKED_AT, "
            + "DELEGATED_UNTIL";
    private static final String STATEMENT_COLUMNS = "OLD_KEY_ID, NEW_KEY_ID, STATEMENT, SIGNATURE";

    private JdbcSigningKeys() {
    }

    private static Calendar utc() {
        return Calendar.getInstance(TimeZone.getTimeZone("UTC"));
    }

    /**
     * Takes the signing tables' write lock until the transaction ends: every key change starts with this, so
     * concurrent rotations (or first-key creations) run one after the other, each seeing the previous one's result.
     */
    static void lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SIGNING_LOCK SET CHANGES = CHANGES + 1 WHERE ID = 1")) {
            if (ps.executeUpdate() != 1) {
                throw new SQLException("the signing lock row is missing (table PM_SIGNING_LOCK)");
            }
        }
    }

    static List<SigningKey> list(Connection c) throws SQLException {
        List<SigningKey> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + KEY_COLUMNS + " FROM PM_SIGNING_KEY ORDER BY SEQ DESC");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row(rs).key());
            }
        }
        return out;
    }

    static Optional<StoredKey> find(Connection c, String id) throws SQLException {
        return one(c, "SELECT " + KEY_COLUMNS + " FROM PM_SIGNING_KEY WHERE ID = ?", id);
    }

    static Optional<StoredKey> active(Connection c) throws SQLException {
        return one(c, "SELECT " + KEY_COLUMNS + " FROM PM_SIGNING_KEY WHERE ACTIVE_SLOT = 1", null);
    }

    static void insert(Connection c, SigningKey key, byte[] sealedPrivateKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SIGNING_KEY "
                + "(ID, ALGORITHM, PUBLIC_KEY, NOTES, ACTIVE_SLOT, CREATED_AT, ROTATED_AT, SEALED_PRIVATE_KEY, PENDING) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, key.id());
            ps.setString(2, key.algorithm());
            ps.setBytes(3, key.publicKey());
            ps.setString(4, key.notes());
            if (key.active()) {
                ps.setShort(5, (short) 1);
            } else {
                ps.setNull(5, java.sql.Types.SMALLINT);
            }
            ps.setTimestamp(6, Timestamp.from(key.createdAt()), utc());
            ps.setTimestamp(7, key.rotatedAt() == null ? null : Timestamp.from(key.rotatedAt()), utc());
            ps.setBytes(8, sealedPrivateKey);
            if (key.pending()) {
                ps.setShort(9, (short) 1);
            } else {
                ps.setNull(9, java.sql.Types.SMALLINT);
            }
            ps.executeUpdate();
        }
    }

    /** Makes the active key {@code id} inactive, rotated at {@code at}. */
    static void retire(Connection c, String id, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PM_SIGNING_KEY SET ACTIVE_SLOT = NULL, ROTATED_AT = ? WHERE ID = ? AND ACTIVE_SLOT = 1")) {
            ps.setTimestamp(1, Timestamp.from(at), utc());
            ps.setString(2, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("signing key " + id + " is no longer the active key");
            }
        }
    }

    static void insertStatement(Connection c, RotationStatement statement, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SIGNING_ROTATION (" + STATEMENT_COLUMNS
                + ", CREATED_AT) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, statement.oldKeyId());
            ps.setString(2, statement.newKeyId());
            ps.setBytes(3, statement.statement());
            ps.setBytes(4, statement.signature());
            ps.setTimestamp(5, Timestamp.from(at), utc());
            ps.executeUpdate();
        }
    }

    static List<RotationStatement> statements(Connection c) throws SQLException {
        List<RotationStatement> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + STATEMENT_COLUMNS + " FROM PM_SIGNING_ROTATION ORDER BY SEQ");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new RotationStatement(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4)));
            }
        }
        return out;
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** Makes the pending key {@code id} the active one (the previous active key was retired in the same transaction). */
    static void activatePending(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PM_SIGNING_KEY SET ACTIVE_SLOT = 1, PENDING = NULL WHERE ID = ? AND PENDING = 1")) {
            ps.setString(1, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("signing key " + id + " is no longer pending");
            }
        }
    }

    static void markRevoked(Connection c, String id, Instant at, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SIGNING_KEY SET REVOKED_AT = ?, REVOKE_REASON = ?, "
                + "PENDING = NULL WHERE ID = ? AND REVOKED_AT IS NULL AND ACTIVE_SLOT IS NULL")) {
            ps.setTimestamp(1, Timestamp.from(at), utc());
            ps.setString(2, reason);
            ps.setString(3, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("signing key " + id + " is active or already revoked");
            }
        }
    }

    static void markDelegated(Connection c, String id, Instant until) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SIGNING_KEY SET DELEGATED_UNTIL = ? WHERE ID = ?")) {
            ps.setTimestamp(1, Timestamp.from(until), utc());
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    // ---- trust statements and the root ---------------------------------------------------------------------------

    private static final String TRUST_COLUMNS = "SEQ, TYPE, KEY_ID, SIGNER_KEY_ID, STATEMENT, SIGNATURE, CREATED_AT";

    /** Stores a statement under the next sequence number; the stored statement, with that number. */
    static TrustStatement insertTrust(Connection c, String type, String keyId, String signerKeyId, byte[] statement,
                                      byte[] signature, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_TRUST_STATEMENT (TYPE, KEY_ID, SIGNER_KEY_ID, "
                + "STATEMENT, SIGNATURE, CREATED_AT) VALUES (?, ?, ?, ?, ?, ?)", new String[] {"SEQ"})) {
            ps.setString(1, type);
            ps.setString(2, keyId);
            ps.setString(3, signerKeyId);
            ps.setBytes(4, statement);
            ps.setBytes(5, signature);
            ps.setTimestamp(6, Timestamp.from(at), utc());
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no sequence number was generated for the trust statement");
                }
                return new TrustStatement(keys.getLong(1), type, keyId, signerKeyId, statement, signature, at);
            }
        }
    }

    static List<TrustStatement> trustStatements(Connection c, long after) throws SQLException {
        List<TrustStatement> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + TRUST_COLUMNS
                + " FROM PM_TRUST_STATEMENT WHERE SEQ > ? ORDER BY SEQ")) {
            ps.setLong(1, after);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TrustStatement(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBytes(5), rs.getBytes(6), rs.getTimestamp(7, utc()).toInstant()));
                }
            }
        }
        return out;
    }

    static long trustVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT MAX(SEQ) FROM PM_TRUST_STATEMENT");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1); // NULL (no statement) reads as 0
        }
    }

    static Optional<RootKey> root(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ROOT_KEY_ID, PUBLIC_KEY, CREATED_AT FROM PM_SIGNING_ROOT");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            byte[] key = rs.getBytes(2);
            return Optional.of(new RootKey(rs.getString(1), key, PublicKeyPem.encode(key),
                    rs.getTimestamp(3, utc()).toInstant()));
        }
    }

    static void insertRoot(Connection c, String id, byte[] publicKey, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PM_SIGNING_ROOT (ID, ROOT_KEY_ID, PUBLIC_KEY, CREATED_AT) VALUES (1, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setBytes(2, publicKey);
            ps.setTimestamp(3, Timestamp.from(at), utc());
            ps.executeUpdate();
        }
    }

    private static Optional<StoredKey> one(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (parameter != null) {
                ps.setString(1, parameter);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static StoredKey row(ResultSet rs) throws SQLException {
        byte[] publicKey = rs.getBytes(3);
        rs.getShort(5);
        boolean active = !rs.wasNull();
        Timestamp rotated = rs.getTimestamp(7, utc());
        rs.getShort(9);
        boolean pending = !rs.wasNull();
        SigningKey key = new SigningKey(rs.getString(1), rs.getString(2), publicKey, PublicKeyPem.encode(publicKey),
                rs.getString(4), active, rs.getTimestamp(6, utc()).toInstant(), rotated == null ? null : rotated.toInstant(),
                pending, instant(rs.getTimestamp(10, utc())), instant(rs.getTimestamp(11, utc())));
        return new StoredKey(key, rs.getBytes(8));
    }
}
