package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.store.RetentionSettings;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentHistoryRetentionTest {
    @TempDir
    Path dir;
    AgentsFixture f;
    AgentHistoryRetention retention;
    Instant now;

    @BeforeEach
    void open() throws Exception {
        f = new AgentsFixture(dir);
        retention = new AgentHistoryRetention(f.db, f.commands, f.telemetry);
        now = f.clock.instant();
    }

    @AfterEach
    void close() {
        f.close();
    }

    private void commands(int n, String state, Instant createdAt) throws Exception {
        f.db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_COMMAND (ID, AGENT_ID, COMMAND, STATE,"
                    + " CREATED_AT, CREATED_BY) VALUES (?, 'agt_1', 'check_update', ?, ?, 'admin')")) {
                for (int i = 0; i < n; i++) {
                    ps.setString(1, "cmd_" + state + "_" + createdAt.getEpochSecond() + "_" + i);
                    ps.setString(2, state);
                    ps.setTimestamp(3, Timestamp.from(createdAt));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    private void telemetry(String agentId, int n, Instant receivedAt) throws Exception {
        f.db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_TELEMETRY (AGENT_ID, RUN_ID, STATUS,"
                    + " REPORTED_AT, RECEIVED_AT) VALUES (?, 'run', 'succeeded', ?, ?)")) {
                for (int i = 0; i < n; i++) {
                    ps.setString(1, agentId);
                    ps.setTimestamp(2, Timestamp.from(receivedAt));
                    ps.setTimestamp(3, Timestamp.from(receivedAt));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    private void rollupDay(LocalDate day) throws Exception {
        f.db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_OUTCOME_DAY (DAY, COMPONENT, VERSION,"
                    + " FLEET_ID, STATUS, ERROR_CODE, OUTCOMES) VALUES (?, 'agent', '1.0.0', 'lab', 'succeeded', '', 1)")) {
                ps.setDate(1, Date.valueOf(day));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_DOWNLOAD_DAY (DAY, COMPONENT, VERSION,"
                    + " FLEET_ID, BUCKET, DOWNLOADS) VALUES (?, 'agent', '1.0.0', 'lab', 3, 1)")) {
                ps.setDate(1, Date.valueOf(day));
                return ps.executeUpdate();
            }
        });
    }

    @Test
    void handledCommandsOlderThanTheirPeriodGoInBatchesPendingOnesStay() throws Exception {
        Instant old = now.minus(Duration.ofDays(31));
        commands(2300, "delivered", old);
        commands(5, "replaced", old);
        commands(3, "pending", old);
        commands(4, "delivered", now.minus(Duration.ofDays(29)));

        Map<String, Long> counts = retention.sweep(RetentionSettings.DEFAULTS, now);

        assertEquals(2305L, counts.get("agent_commands"));
        assertEquals(7, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND"));
        assertEquals(3, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE STATE = 'pending'"));
    }

    @Test
    void telemetryGoesByAgeWhenSetAndByTheCapPerAgent() throws Exception {
        telemetry("agt_a", 30, now.minus(Duration.ofDays(10)));
        telemetry("agt_a", 20, now.minus(Duration.ofDays(1)));
        telemetry("agt_b", 5, now.minus(Duration.ofDays(1)));

        assertEquals(0L, retention.sweep(RetentionSettings.DEFAULTS, now).get("agent_telemetry"),
                "no age limit by default and the cap is 1,000");
        Map<String, Long> counts = retention.sweep(new RetentionSettings(365, 30, 7, 12, 400, 90), now);

        assertEquals(30L + 8L, counts.get("agent_telemetry"));
        assertEquals(12, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = 'agt_a'"));
        assertEquals(5, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = 'agt_b'"));
        assertEquals(12, f.telemetry.keptPerAgent(), "new telemetry is trimmed to the setting too");
    }

    @Test
    void settingsReachTheStoresAtOnce() {
        retention.apply(new RetentionSettings(365, 90, 0, 50, 400, 90));

        assertEquals(50, f.telemetry.keptPerAgent());
        assertEquals(Duration.ofDays(90), f.commands.handledKept);
    }

    @Test
    void rollupDaysOlderThanTheirPeriodGo() throws Exception {
        LocalDate today = LocalDate.parse("2026-11-26");
        rollupDay(today.minusDays(402));
        rollupDay(today.minusDays(401));
        rollupDay(today.minusDays(400));
        rollupDay(today.minusDays(3));

        Map<String, Long> counts = retention.sweep(RetentionSettings.DEFAULTS, now);

        assertEquals(2L, counts.get("outcome_days"));
        assertEquals(2L, counts.get("download_days"));
        assertEquals(2, f.count("SELECT COUNT(*) FROM PM_AGENT_OUTCOME_DAY"));
        assertEquals(2, f.count("SELECT COUNT(*) FROM PM_AGENT_DOWNLOAD_DAY"));
    }
}
