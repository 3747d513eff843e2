package io.printmaster.store.impl;

import io.printmaster.store.ClusterLease;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link ClusterLease} in table {@code PM_LEASE} (migrations of module {@value JdbcClusterSignals#MODULE}). Taking a
 * lease is one conditional UPDATE (free, expired or ours), or an INSERT when the row does not exist yet; two replicas
 * inserting at once meet on the primary key and the loser reports that it does not hold the lease.
 */
@Component(service = ClusterLease.class, immediate = true)
public final class JdbcClusterLease implements ClusterLease {
    private static final String DUPLICATE_KEY = "23505";

    private final Database database;
    private final Clock clock;
    private final String replicaId;

    @Activate
    public JdbcClusterLease(@Reference Database database) throws SchemaException {
        this(database, Clock.systemUTC(), UUID.randomUUID().toString());
    }

    JdbcClusterLease(Database database, Clock clock, String replicaId) throws SchemaException {
        this.database = database;
        this.clock = clock;
        this.replicaId = replicaId;
        database.migrate(JdbcClusterSignals.MODULE, Migrations.fromClasspath(JdbcClusterSignals.class,
                JdbcClusterSignals.MODULE));
    }

    @Override
    public String replicaId() {
        return replicaId;
    }

    @Override
    public boolean tryAcquire(String name, Duration ttl) throws SQLException {
        checkName(name);
        if (Objects.requireNonNull(ttl, "ttl").compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("ttl must be at least one second, was " + ttl);
        }
        Instant now = clock.instant();
        Timestamp until = Timestamp.from(now.plus(ttl));
        try {
            return database.inRetryingTransaction(c -> {
                try (PreparedStatement take = c.prepareStatement("UPDATE PM_LEASE SET HOLDER = ?, EXPIRES_AT = ?"
                        + " WHERE NAME = ? AND (HOLDER = ? OR EXPIRES_AT < ?)")) {
                    take.setString(1, replicaId);
                    take.setTimestamp(2, until, JdbcDatabase.utc());
                    take.setString(3, name);
                    take.setString(4, replicaId);
                    take.setTimestamp(5, Timestamp.from(now), JdbcDatabase.utc());
                    if (take.executeUpdate() == 1) {
                        return true;
                    }
                }
                if (exists(c, name)) {
                    return false; // held by another replica, unexpired
                }
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO PM_LEASE (NAME, HOLDER, EXPIRES_AT) VALUES (?, ?, ?)")) {
                    insert.setString(1, name);
                    insert.setString(2, replicaId);
                    insert.setTimestamp(3, until, JdbcDatabase.utc());
                    insert.executeUpdate();
                    return true;
                }
            });
        } catch (SQLException e) {
            if (DUPLICATE_KEY.equals(e.getSQLState())) {
                return false; // another replica created the row first: it holds the lease
            }
            throw e;
        }
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM PM_LEASE WHERE NAME = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public void release(String name) throws SQLException {
        checkName(name);
        database.inRetryingTransaction(c -> {
            try (PreparedStatement free = c.prepareStatement("DELETE FROM PM_LEASE WHERE NAME = ? AND HOLDER = ?")) {
                free.setString(1, name);
                free.setString(2, replicaId);
                return free.executeUpdate();
            }
        });
    }

    @Override
    public String holder(String name) throws SQLException {
        checkName(name);
        return database.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT HOLDER FROM PM_LEASE WHERE NAME = ? AND EXPIRES_AT >= ?")) {
                q.setString(1, name);
                q.setTimestamp(2, Timestamp.from(clock.instant()), JdbcDatabase.utc());
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank() || name.length() > 64) {
            throw new IllegalArgumentException("lease name must be 1..64 characters, was " + name);
        }
    }
}
