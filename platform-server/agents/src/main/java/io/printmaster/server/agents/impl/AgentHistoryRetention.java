package io.printmaster.server.agents.impl;

import io.printmaster.store.Database;
import io.printmaster.store.RetentionSettings;
import io.printmaster.store.RetentionTask;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * This bundle's part of the retention sweep: delivered and replaced commands older than {@code command_days},
 * telemetry older than {@code telemetry_days} (when set) or beyond {@code telemetry_rows_per_agent} of an agent, and
 * the dashboard's per-day roll-ups older than {@code rollup_days}. Each batch of at most {@value #BATCH} rows is its
 * own transaction, so a backlog never holds long locks against check-ins and telemetry. Pending commands are never
 * deleted: they wait for their agent.
 */
@Component(service = RetentionTask.class)
public class AgentHistoryRetention implements RetentionTask {
    static final int BATCH = 1000;

    private final Database database;
    private final AgentCommandStore commands;
    private final TelemetryStore telemetry;

    @Activate
    public AgentHistoryRetention(@Reference Database database, @Reference AgentCommandStore commands,
                                 @Reference TelemetryStore telemetry) {
        this.database = database;
        this.commands = commands;
        this.telemetry = telemetry;
    }

    @Override
    public void apply(RetentionSettings settings) {
        telemetry.keepPerAgent(settings.telemetryRowsPerAgent());
        commands.handledKept = Duration.ofDays(settings.commandDays());
    }

    @Override
    public Map<String, Long> sweep(RetentionSettings settings, Instant now) throws SQLException {
        apply(settings);
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("agent_commands", deleteInBatches("SELECT ID FROM PM_AGENT_COMMAND WHERE STATE <> '"
                        + AgentCommandStore.PENDING + "' AND CREATED_AT < ?", "DELETE FROM PM_AGENT_COMMAND WHERE ID = ?",
                Timestamp.from(now.minus(Duration.ofDays(settings.commandDays()))), false));
        long telemetryRows = 0;
        if (settings.telemetryDays() > 0) {
            telemetryRows += deleteInBatches("SELECT ID FROM PM_AGENT_TELEMETRY WHERE RECEIVED_AT < ?",
                    "DELETE FROM PM_AGENT_TELEMETRY WHERE ID = ?",
                    Timestamp.from(now.minus(Duration.ofDays(settings.telemetryDays()))), true);
        }
        telemetryRows += trimOverCap(settings.telemetryRowsPerAgent());
        counts.put("agent_telemetry", telemetryRows);
        Date firstKeptDay = Date.valueOf(LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(settings.rollupDays()));
        counts.put("outcome_days", deleteDays("PM_AGENT_OUTCOME_DAY", firstKeptDay));
        counts.put("download_days", deleteDays("PM_AGENT_DOWNLOAD_DAY", firstKeptDay));
        return counts;
    }

    /** Selects a batch of keys older than {@code cutoff}, deletes them in their own transaction; until none is left. */
    private long deleteInBatches(String select, String delete, Object cutoff, boolean longKeys) throws SQLException {
        long deleted = 0;
        while (!Thread.currentThread().isInterrupted()) {
            int n = database.inTransaction(c -> {
                List<Object> keys = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(select + " FETCH FIRST " + BATCH + " ROWS ONLY")) {
                    ps.setObject(1, cutoff);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            keys.add(longKeys ? (Object) rs.getLong(1) : rs.getString(1));
                        }
                    }
                }
                return deleteKeys(c, delete, keys);
            });
            deleted += n;
            if (n < BATCH) {
                break;
            }
        }
        return deleted;
    }

    private static int deleteKeys(Connection c, String delete, List<Object> keys) throws SQLException {
        if (keys.isEmpty()) {
            return 0;
        }
        int n = 0;
        try (PreparedStatement ps = c.prepareStatement(delete)) {
            for (Object k : keys) {
                ps.setObject(1, k);
                ps.addBatch();
            }
            for (int r : ps.executeBatch()) {
                n += Math.max(r, 0);
            }
        }
        return n;
    }

    /**
     * A lowered {@code telemetry_rows_per_agent} reaches agents that send nothing new (insert trims only the
     * sender): the agents over the cap are trimmed here, one transaction each.
     */
    private long trimOverCap(int cap) throws SQLException {
        long deleted = 0;
        List<String> over = database.read(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT AGENT_ID FROM PM_AGENT_TELEMETRY GROUP BY AGENT_ID"
                    + " HAVING COUNT(*) > ? FETCH FIRST " + BATCH + " ROWS ONLY")) {
                ps.setInt(1, cap);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            return ids;
        });
        for (String agentId : over) {
            deleted += database.inTransaction(c -> telemetry.trim(c, agentId));
        }
        return deleted;
    }

    /** Deletes roll-up rows day by day (a day's rows are a bounded few thousand), oldest first. */
    private long deleteDays(String table, Date firstKept) throws SQLException {
        long deleted = 0;
        while (!Thread.currentThread().isInterrupted()) {
            Date oldest = database.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT MIN(DAY) FROM " + table + " WHERE DAY < ?")) {
                    ps.setDate(1, firstKept);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? rs.getDate(1) : null;
                    }
                }
            });
            if (oldest == null) {
                break;
            }
            deleted += database.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE DAY = ?")) {
                    ps.setDate(1, oldest);
                    return ps.executeUpdate();
                }
            });
        }
        return deleted;
    }
}
