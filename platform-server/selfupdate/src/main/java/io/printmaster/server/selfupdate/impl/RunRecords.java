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
