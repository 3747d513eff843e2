package io.printmaster.server.installers.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The {@code generated_at} of each installer configuration, shared by the server's replicas ({@code PM_INSTALLER_BUILD}):
 * the first replica to build a configuration records the time, every other one (and every later rebuild) writes the
 * same time into {@code fleet.json}. With the archive formats' fixed entry times, two replicas asked for the same
 * installer then build the same bytes, whichever of them is asked and whatever is in its own cache folder.
 */
final class InstallerBuildTimes {
    static final String MODULE = "installers";
    private static final String DUPLICATE_KEY = "23505";

    private final Database database;

    InstallerBuildTimes(Database database) throws SchemaException {
        this.database = database;
        database.migrate(MODULE, Migrations.fromClasspath(InstallerBuildTimes.class, MODULE));
    }

    /** The recorded time of configuration {@code configHash}, recording {@code now} (whole seconds) when it has none. */
    Instant generatedAt(String configHash, Instant now) throws SQLException {
        Optional<Instant> recorded = find(configHash);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        Instant at = now.truncatedTo(ChronoUnit.SECONDS);
        try {
            database.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO PM_INSTALLER_BUILD (CONFIG_SHA256, GENERATED_AT) VALUES (?, ?)")) {
                    ps.setString(1, configHash);
                    ps.setTimestamp(2, Timestamp.from(at));
                    ps.executeUpdate();
                }
                return null;
            });
            return at;
        } catch (SQLException e) {
            if (DUPLICATE_KEY.equals(e.getSQLState())) {
                return find(configHash).orElseThrow(() -> e); // another replica recorded it first: its time
            }
            throw e;
        }
    }

    private Optional<Instant> find(String configHash) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT GENERATED_AT FROM PM_INSTALLER_BUILD WHERE CONFIG_SHA256 = ?")) {
                ps.setString(1, configHash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getTimestamp(1).toInstant()) : Optional.<Instant>empty();
                }
            }
        });
    }
}
