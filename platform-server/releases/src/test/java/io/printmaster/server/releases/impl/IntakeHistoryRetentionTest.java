package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.store.RetentionSettings;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IntakeHistoryRetentionTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    @TempDir
    Path dir;
    DerbyDatabase db;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        new ReleaseStore(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void sync(String id, String state, Instant startedAt, int events) throws SQLException {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_SYNC (ID, TRIGGERED_BY, STARTED_BY,"
                    + " STARTED_AT, STATE) VALUES (?, 'schedule', 'system', ?, ?)")) {
                ps.setString(1, id);
                ps.setTimestamp(2, Timestamp.from(startedAt));
                ps.setString(3, state);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_INTAKE_EVENT (SYNC_ID, OCCURRED_AT,"
                    + " OUTCOME) VALUES (?, ?, 'skipped')")) {
                for (int i = 0; i < events; i++) {
                    ps.setString(1, id);
                    ps.setTimestamp(2, Timestamp.from(startedAt));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    private int count(String sql) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    @Test
    void endedSyncsOlderThanTheirPeriodGoWithTheirEventsRunningAndRecentOnesStay() throws Exception {
        Instant old = NOW.minus(Duration.ofDays(91));
        sync("old-1", "finished", old, 2500);
        sync("old-2", "failed", old.plusSeconds(60), 3);
        sync("old-running", "running", old, 4);
        sync("new", "finished", NOW.minus(Duration.ofDays(89)), 5);

        Map<String, Long> counts = new IntakeHistoryRetention(db).sweep(RetentionSettings.DEFAULTS, NOW);

        assertEquals(2L, counts.get("release_syncs"));
        assertEquals(2503L, counts.get("release_intake_events"));
        assertEquals(2, count("SELECT COUNT(*) FROM PM_RELEASE_SYNC"));
        assertEquals(9, count("SELECT COUNT(*) FROM PM_RELEASE_INTAKE_EVENT"));
        assertEquals(0, count("SELECT COUNT(*) FROM PM_RELEASE_INTAKE_EVENT WHERE SYNC_ID LIKE 'old-_'"));
    }
}
