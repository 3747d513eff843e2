package io.printmaster.server.agents.impl;

import io.printmaster.store.UniqueKeys;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-day counts the dashboard reads ({@code PM_AGENT_OUTCOME_DAY}, {@code PM_AGENT_DOWNLOAD_DAY}), moved in the
 * telemetry transaction that stores the transitions: so the dashboard's release numbers read a few thousand rows
 * whatever the number of transitions (docs/benchmarks.md). Rows are updated in key order, so two transactions never
 * wait for each other's rows the other way round.
 *
 * <p>Download times are kept as a histogram with 32 buckets per doubling: a percentile read from it is the upper
 * bound of the bucket holding the exact nearest-rank value, at most 2.2 % above it.
 */
final class OutcomeRollup {
    /** The statuses counted: an update's outcome as the dashboard shows it. */
    static final List<String> COUNTED = List.of("succeeded", "failed", "rolled_back");
    static final int BUCKETS_PER_DOUBLING = 32;

    private OutcomeRollup() {
    }

    /** The histogram bucket of a download time: 0 for 0 ms, else 1 + ⌈32 · log2(ms)⌉. */
    static int bucket(long ms) {
        if (ms < 1) {
            return 0;
        }
        return 1 + (int) Math.ceil(BUCKETS_PER_DOUBLING * Math.log(ms) / Math.log(2) - 1e-9);
    }

    /** The largest download time of a bucket (what a percentile in that bucket reports). */
    static long upperBound(int bucket) {
        if (bucket <= 0) {
            return 0;
        }
        return (long) Math.floor(Math.pow(2, (bucket - 1) / (double) BUCKETS_PER_DOUBLING) + 1e-9);
    }

    /** The UTC day a transition received at {@code at} counts for. */
    static LocalDate day(Instant at) {
        return LocalDate.ofInstant(at, ZoneOffset.UTC);
    }

    /** Counts the stored transitions of one agent of {@code fleet}, received at {@code receivedAt}. */
    static void add(Connection c, String fleet, List<TelemetryEvent> stored, Instant receivedAt) throws SQLException {
        Date day = Date.valueOf(day(receivedAt));
        Map<List<String>, Long> outcomes = new TreeMap<>(OutcomeRollup::compareKeys);
        Map<List<String>, Long> downloads = new TreeMap<>(OutcomeRollup::compareKeys);
        for (TelemetryEvent e : stored) {
            if (e.targetVersion() == null) {
                continue;
            }
            if (COUNTED.contains(e.status())) {
                outcomes.merge(List.of(e.component(), e.targetVersion(), fleet, e.status(),
                        e.errorCode() == null ? "" : e.errorCode()), 1L, Long::sum);
            }
            if (e.downloadTimeMs() != null) {
                downloads.merge(List.of(e.component(), e.targetVersion(), fleet,
                        Integer.toString(bucket(e.downloadTimeMs()))), 1L, Long::sum);
            }
        }
        for (Map.Entry<List<String>, Long> o : outcomes.entrySet()) {
            List<String> k = o.getKey();
            upsert(c, "UPDATE PM_AGENT_OUTCOME_DAY SET OUTCOMES = OUTCOMES + ? WHERE DAY = ? AND COMPONENT = ?"
                    + " AND VERSION = ? AND FLEET_ID = ? AND STATUS = ? AND ERROR_CODE = ?",
                    "INSERT INTO PM_AGENT_OUTCOME_DAY (OUTCOMES, DAY, COMPONENT, VERSION, FLEET_ID, STATUS, ERROR_CODE)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)", o.getValue(), day, k.get(0), k.get(1), k.get(2), k.get(3),
                    k.get(4));
        }
        for (Map.Entry<List<String>, Long> d : downloads.entrySet()) {
            List<String> k = d.getKey();
            upsert(c, "UPDATE PM_AGENT_DOWNLOAD_DAY SET DOWNLOADS = DOWNLOADS + ? WHERE DAY = ? AND COMPONENT = ?"
                    + " AND VERSION = ? AND FLEET_ID = ? AND BUCKET = ?",
                    "INSERT INTO PM_AGENT_DOWNLOAD_DAY (DOWNLOADS, DAY, COMPONENT, VERSION, FLEET_ID, BUCKET)"
                    + " VALUES (?, ?, ?, ?, ?, ?)", d.getValue(), day, k.get(0), k.get(1), k.get(2),
                    Integer.parseInt(k.get(3)));
        }
    }

    /** Adds {@code n} to the row of the key, creating it; a row another transaction created meanwhile is added to. */
    private static void upsert(Connection c, String update, String insert, long n, Object... key) throws SQLException {
        if (run(c, update, n, key) == 1) {
            return;
        }
        // under a savepoint: a duplicate key must not end the transaction on PostgreSQL
        if (!UniqueKeys.tryWrite(c, x -> run(x, insert, n, key))) {
            run(c, update, n, key);
        }
    }

    private static int run(Connection c, String sql, long n, Object... key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, n);
            for (int i = 0; i < key.length; i++) {
                ps.setObject(i + 2, key[i]);
            }
            return ps.executeUpdate();
        }
    }

    private static int compareKeys(List<String> a, List<String> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
