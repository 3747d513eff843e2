package io.printmaster.server.agents.impl;

import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.server.agents.api.AgentStatistics.Count;
import io.printmaster.server.agents.api.AgentStatistics.DayOutcomes;
import io.printmaster.server.agents.api.AgentStatistics.ReleaseOutcomes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The release outcomes of {@link AgentStatistics#releases}: one grouped query over the window's terminal transitions
 * (by release, day, status and error code: the index {@code PM_AGENT_TELEMETRY_OUTCOME} holds every column it reads),
 * then for each of the newest {@link AgentStatistics#MAX_RELEASES} releases the number of download times and the two
 * nearest-rank percentiles, each an {@code ORDER BY … OFFSET n ROWS FETCH FIRST 1 ROW ONLY} walk of
 * {@code PM_AGENT_TELEMETRY_DOWNLOAD} within that release.
 */
final class ReleaseAggregates {
    private ReleaseAggregates() {
    }

    /** One release's running totals while the grouped rows are read. */
    private static final class Tally {
        final String component;
        final String version;
        long succeeded;
        long failed;
        long rolledBack;
        final Map<String, Long> errors = new HashMap<>();
        final TreeMap<LocalDate, long[]> days = new TreeMap<>();

        Tally(String component, String version) {
            this.component = component;
            this.version = version;
        }

        void add(LocalDate day, String status, String errorCode, long n) {
            long[] d = days.computeIfAbsent(day, k -> new long[3]);
            switch (status) {
                case "succeeded" -> {
                    succeeded += n;
                    d[0] += n;
                }
                case "failed" -> {
                    failed += n;
                    d[1] += n;
                }
                default -> {
                    rolledBack += n;
                    d[2] += n;
                }
            }
            if (errorCode != null && !"succeeded".equals(status)) {
                errors.merge(errorCode, n, Long::sum);
            }
        }
    }

    static List<ReleaseOutcomes> read(Connection c, Optional<Set<String>> fleets, Instant since) throws SQLException {
        Map<String, Tally> tallies = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT COMPONENT, TARGET_VERSION, CAST(RECEIVED_AT AS DATE),"
                + " STATUS, ERROR_CODE, COUNT(*) FROM PM_AGENT_TELEMETRY"
                + " WHERE STATUS IN ('succeeded', 'failed', 'rolled_back') AND RECEIVED_AT >= ?"
                + " AND TARGET_VERSION IS NOT NULL" + JdbcAgentStatistics.fleetCondition("FLEET_ID", fleets)
                + " GROUP BY COMPONENT, TARGET_VERSION, CAST(RECEIVED_AT AS DATE), STATUS, ERROR_CODE")) {
            ps.setTimestamp(1, Timestamp.from(since));
            JdbcAgentStatistics.setFleets(ps, 2, fleets);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String component = rs.getString(1);
                    String version = rs.getString(2);
                    tallies.computeIfAbsent(component + "\n" + version, k -> new Tally(component, version))
                            .add(rs.getDate(3).toLocalDate(), rs.getString(4), rs.getString(5), rs.getLong(6));
                }
            }
        }
        List<Tally> newest = new ArrayList<>(tallies.values());
        newest.sort((a, b) -> {
            int byVersion = JdbcAgentStatistics.newestFirst(a.version, b.version);
            return byVersion != 0 ? byVersion : a.component.compareTo(b.component);
        });
        List<ReleaseOutcomes> out = new ArrayList<>();
        for (Tally t : newest.subList(0, Math.min(newest.size(), AgentStatistics.MAX_RELEASES))) {
            long outcomes = t.succeeded + t.failed + t.rolledBack;
            Double rate = outcomes == 0 ? null : Math.round(10_000.0 * t.succeeded / outcomes) / 10_000.0;
            long downloads = downloads(c, t, fleets, since);
            Long p50 = percentile(c, t, fleets, since, downloads, 50);
            Long p95 = percentile(c, t, fleets, since, downloads, 95);
            List<Count> errors = JdbcAgentStatistics.sorted(t.errors);
            List<DayOutcomes> byDay = new ArrayList<>();
            t.days.forEach((day, n) -> byDay.add(new DayOutcomes(day, n[0], n[1], n[2])));
            out.add(new ReleaseOutcomes(t.component, t.version, t.succeeded, t.failed, t.rolledBack, rate, p50, p95,
                    errors.subList(0, Math.min(errors.size(), AgentStatistics.TOP_ERRORS)), byDay));
        }
        return out;
    }

    private static final String DOWNLOADS_WHERE = " FROM PM_AGENT_TELEMETRY WHERE COMPONENT = ? AND TARGET_VERSION = ?"
            + " AND DOWNLOAD_TIME_MS IS NOT NULL AND RECEIVED_AT >= ?";

    private static long downloads(Connection c, Tally t, Optional<Set<String>> fleets, Instant since)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*)" + DOWNLOADS_WHERE
                + JdbcAgentStatistics.fleetCondition("FLEET_ID", fleets))) {
            bind(ps, t, fleets, since);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The nearest-rank percentile: the value at rank ⌈p/100 · n⌉ in ascending order; null without values. */
    private static Long percentile(Connection c, Tally t, Optional<Set<String>> fleets, Instant since, long n, int p)
            throws SQLException {
        if (n == 0) {
            return null;
        }
        long offset = rank(n, p) - 1;
        try (PreparedStatement ps = c.prepareStatement("SELECT DOWNLOAD_TIME_MS" + DOWNLOADS_WHERE
                + JdbcAgentStatistics.fleetCondition("FLEET_ID", fleets) + " ORDER BY DOWNLOAD_TIME_MS"
                + " OFFSET " + offset + " ROWS FETCH FIRST 1 ROW ONLY")) {
            bind(ps, t, fleets, since);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** ⌈p/100 · n⌉, at least 1. */
    static long rank(long n, int p) {
        return Math.max(1, (n * p + 99) / 100);
    }

    private static void bind(PreparedStatement ps, Tally t, Optional<Set<String>> fleets, Instant since)
            throws SQLException {
        ps.setString(1, t.component);
        ps.setString(2, t.version);
        ps.setTimestamp(3, Timestamp.from(since));
        JdbcAgentStatistics.setFleets(ps, 4, fleets);
    }
}
