package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Calendar;
import java.util.TimeZone;

/**
 * Ends a run that an earlier process (or an earlier revision of this bundle) left in {@code applying}: the start after
 * a restart-mode apply, or the revision that a hot swap installed. Only a run still in {@code applying} changes, so
 * the orchestrator and the hand-over may both try.
 */
final class RunRecords {
    private RunRecords() {
    }

    /**
     * Ends, as {@code failed INTERRUPTED}, hot swaps left in {@code applying} by an earlier process that wrote no
     * marker (it stopped before the swap began: nothing changed), except {@code keep} (the marker's run).
     */
    static int endStrandedHotSwaps(Database database, String keep, Instant startedBefore) throws SQLException {
        return database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SERVER_UPDATE_RUN SET STATUS = 'failed', "
                    + "ERROR_CODE = 'INTERRUPTED', ERROR_MESSAGE = ?, UPDATED_AT = ?, FINISHED_AT = ? WHERE STATUS = "
                    + "'applying' AND MODE = 'hot-swap' AND RUN_ID <> ? AND UPDATED_AT < ?")) {
                Calendar utc = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
                Timestamp now = Timestamp.from(Instant.now());
                ps.setString(1, "the server stopped before the hot swap began; nothing was applied: start a new run");
                ps.setTimestamp(2, now, utc);
                ps.setTimestamp(3, now, utc);
                ps.setString(4, keep == null ? "" : keep);
                ps.setTimestamp(5, Timestamp.from(startedBefore), utc);
                return ps.executeUpdate();
            }
        });
    }

    /** @return whether the run was in {@code applying} and is now {@code status} */
    static boolean finish(Database database, String runId, String status, String code, String message)
            throws SQLException {
        return database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SERVER_UPDATE_RUN SET STATUS = ?, ERROR_CODE = ?,"
                    + " ERROR_MESSAGE = ?, UPDATED_AT = ?, FINISHED_AT = ? WHERE RUN_ID = ? AND (STATUS = 'applying'"
                    // a revision the swap installed may have ended the run as interrupted while the swap went on
                    + " OR (STATUS = 'failed' AND ERROR_CODE = 'INTERRUPTED'))")) {
                Timestamp now = Timestamp.from(Instant.now());
                Calendar utc = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
                ps.setString(1, status);
                ps.setString(2, code);
                ps.setString(3, message == null ? null : message.length() > 2000 ? message.substring(0, 2000) : message);
                ps.setTimestamp(4, now, utc);
                ps.setTimestamp(5, now, utc);
                ps.setString(6, runId);
                return ps.executeUpdate() == 1;
            }
        });
    }
}
