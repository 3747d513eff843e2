package io.printmaster.server.releases.impl;

import io.printmaster.store.Database;
import io.printmaster.store.RetentionSettings;
import io.printmaster.store.RetentionTask;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * This bundle's part of the retention sweep: syncs that ended more than {@code sync_history_days} ago go with their
 * intake events (a scheduled sync a day is a year's thousands of rows, each with its skipped and rejected assets).
 * A running sync is never touched. Each batch of at most {@value #BATCH} rows is its own transaction; a sync's row
 * goes last, after all its events, so a crash leaves at worst a sync with fewer events, never events without a sync.
 */
@Component(service = RetentionTask.class)
public class IntakeHistoryRetention implements RetentionTask {
    static final int BATCH = 1000;
    private static final int SYNCS_PER_ROUND = 100;

    private final Database database;

    @Activate
    public IntakeHistoryRetention(@Reference ReleaseStore store) {
        this(store.database());
    }

    IntakeHistoryRetention(Database database) {
        this.database = database;
    }

    @Override
    public Map<String, Long> sweep(RetentionSettings settings, Instant now) throws SQLException {
        Timestamp cutoff = Timestamp.from(now.minus(Duration.ofDays(settings.syncHistoryDays())));
        long syncs = 0;
        long events = 0;
        while (!Thread.currentThread().isInterrupted()) {
            List<String> ended = database.read(c -> {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_RELEASE_SYNC WHERE STATE <> '"
                        + SyncRun.RUNNING + "' AND STARTED_AT < ? ORDER BY STARTED_AT FETCH FIRST " + SYNCS_PER_ROUND
                        + " ROWS ONLY")) {
                    ps.setTimestamp(1, cutoff);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
                return ids;
            });
            for (String id : ended) {
                events += deleteEvents(id);
                syncs += database.inTransaction(c -> {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_RELEASE_SYNC WHERE ID = ?")) {
                        ps.setString(1, id);
                        return ps.executeUpdate();
                    }
                });
            }
            if (ended.size() < SYNCS_PER_ROUND) {
                break;
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("release_syncs", syncs);
        counts.put("release_intake_events", events);
        return counts;
    }

    private long deleteEvents(String syncId) throws SQLException {
        long deleted = 0;
        while (true) {
            int n = database.inTransaction(c -> {
                List<Long> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_RELEASE_INTAKE_EVENT WHERE SYNC_ID = ?"
                        + " FETCH FIRST " + BATCH + " ROWS ONLY")) {
                    ps.setString(1, syncId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    return 0;
                }
                int count = 0;
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_RELEASE_INTAKE_EVENT WHERE ID = ?")) {
                    for (long id : ids) {
                        ps.setLong(1, id);
                        ps.addBatch();
                    }
                    for (int r : ps.executeBatch()) {
                        count += Math.max(r, 0);
                    }
                }
                return count;
            });
            deleted += n;
            if (n < BATCH) {
                return deleted;
            }
        }
    }
}
