package io.printmaster.store;

/**
 * How long the server keeps what grows with time, as the administrator configured it (PID
 * {@code io.printmaster.server.retention}); the retention sweep hands it to every {@link RetentionTask}.
 *
 * @param auditDays audit entries older than this many days are exported, then deleted (at least 1)
 * @param commandDays delivered and replaced agent commands older than this many days are deleted (at least 1)
 * @param telemetryDays agent telemetry older than this many days is deleted; 0 = kept by row count only
 * @param telemetryRowsPerAgent the newest this many telemetry rows of each agent are kept (at least 1)
 * @param rollupDays per-day roll-ups (the dashboard's outcome and download days) older than this are deleted
 *     (at least 1)
 * @param syncHistoryDays finished release syncs older than this are deleted with their intake events (at least 1)
 * @since 1.2
 */
public record RetentionSettings(int auditDays, int commandDays, int telemetryDays, int telemetryRowsPerAgent,
                                int rollupDays, int syncHistoryDays) {

    /** What applies when nothing is configured. */
    public static final RetentionSettings DEFAULTS = new RetentionSettings(365, 30, 0, 1000, 400, 90);

    /** @throws IllegalArgumentException naming the setting when a value is out of range */
    public RetentionSettings {
        atLeast("audit_days", auditDays, 1);
        atLeast("command_days", commandDays, 1);
        atLeast("telemetry_days", telemetryDays, 0);
        atLeast("telemetry_rows_per_agent", telemetryRowsPerAgent, 1);
        atLeast("rollup_days", rollupDays, 1);
        atLeast("sync_history_days", syncHistoryDays, 1);
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException("retention " + name + " must be at least " + min + ", was " + value);
        }
    }
}
