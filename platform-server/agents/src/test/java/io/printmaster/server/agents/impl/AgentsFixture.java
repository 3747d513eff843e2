package io.printmaster.server.agents.impl;

import io.printmaster.security.api.SecretBox;
import io.printmaster.server.fleets.impl.FleetStore;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The real thing on a temporary Derby: the fleets bundle's store as the fleet directory, the security bundle's
 * AES-GCM secret box, the JDBC audit log, and this bundle's stores on a hand-moved clock.
 */
final class AgentsFixture implements AutoCloseable {
    final DerbyDatabase db;
    final AuditLog audit;
    final FleetStore fleets;
    final SecretBox secretBox;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    final JoinTokenStore tokens;
    final AgentStore agents;
    final AgentCommandStore commands;
    final TelemetryStore telemetry;
    final PolicyOnlyGate gate = new PolicyOnlyGate();

    AgentsFixture(Path dir) throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        fleets = new FleetStore(db, audit);
        secretBox = secretBox();
        AgentSecrets secrets = new AgentSecrets(new SecureRandom());
        tokens = new JoinTokenStore(db, audit, fleets, secretBox, secrets, clock);
        agents = new AgentStore(db, audit, fleets, secrets, clock);
        commands = new AgentCommandStore(db, audit, secrets, clock);
        telemetry = new TelemetryStore(db, clock, gate, audit);
    }

    /** The security bundle's implementation; its key constructor is package-private there, for tests. */
    private static SecretBox secretBox() throws Exception {
        Class<?> type = Class.forName("io.printmaster.secretbox.impl.MasterKeySecretBox");
        Constructor<?> c = type.getDeclaredConstructor(byte[].class);
        c.setAccessible(true);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return (SecretBox) c.newInstance((Object) key);
    }

    /** A fleet row, as the fleets bundle would write it (its create method is package-private there). */
    String fleet(String id) throws SQLException {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO PM_FLEET (ID, NAME, DESCRIPTION, CREATED_AT, UPDATED_AT) VALUES (?, ?, NULL, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, "Fleet " + id);
                ps.setTimestamp(3, Timestamp.from(clock.instant()));
                ps.setTimestamp(4, Timestamp.from(clock.instant()));
                return ps.executeUpdate();
            }
        });
        return id;
    }

    void deleteFleet(String id) throws SQLException {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_FLEET WHERE ID = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate();
            }
        });
    }

    /** One statement with one text parameter, for a state a test needs (such as a row as an older version wrote it). */
    int update(String sql, String parameter) throws SQLException {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, parameter);
                return ps.executeUpdate();
            }
        });
    }

    int count(String sql) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    /** Every value of every column of these tables, as text: to prove a secret is nowhere in them. */
    List<String> everyValue(String... tables) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String table : tables) {
            db.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table); ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            out.add(String.valueOf(rs.getString(i)));
                        }
                    }
                }
                return null;
            });
        }
        return out;
    }

    static AgentStore.AgentFacts facts(String host) {
        return new AgentStore.AgentFacts(host, "linux", "amd64", "1.0.0");
    }

    @Override
    public void close() {
        db.close();
    }
}
