package io.printmaster.server.agents.impl;

import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.server.agents.api.AgentStatistics.Count;
import io.printmaster.server.agents.api.AgentStatistics.DayOutcomes;
import io.printmaster.server.agents.api.AgentStatistics.ReleaseOutcomes;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * The release outcomes of {@link AgentStatistics#releases}, from the per-day counts the telemetry transaction keeps
 * ({@link OutcomeRollup}): one grouped query over the window's days of {@code PM_AGENT_OUTCOME_DAY} (by release, day,
 * status and error code) and one over {@code PM_AGENT_DOWNLOAD_DAY} (by release and histogram bucket), whose
 * cumulative counts give the nearest-rank percentiles of the newest {@link AgentStatistics#MAX_RELEASES} releases.
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
        Date fromDay = Date.valueOf(OutcomeRollup.day(since));
        Map<String, Tally> tallies = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT COMPONENT, VERSION, DAY, STATUS, ERROR_CODE, SUM(OUTCOMES)"
                + " FROM PM_AGENT_OUTCOME_DAY WHERE DAY >= ?" + JdbcAgentStatistics.fleetCondition("FLEET_ID", fleets)
                + " GROUP BY COMPONENT, VERSION, DAY, STATUS, ERROR_CODE")) {
            ps.setDate(1, fromDay);
            JdbcAgentStatistics.setFleets(ps, 2, fleets);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String component = rs.getString(1);
                    String version = rs.getString(2);
                    String error = rs.getString(5);
                    tallies.computeIfAbsent(key(component, version), k -> new Tally(component, version))
                            .add(rs.getDate(3).toLocalDate(), rs.getString(4), error.isEmpty() ? null : error,
                                    rs.getLong(6));
                }
            }
        }
        Map<String, TreeMap<Integer, Long>> histograms = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT COMPONENT, VERSION, BUCKET, SUM(DOWNLOADS)"
                + " FROM PM_AGENT_DOWNLOAD_DAY WHERE DAY >= ?" + JdbcAgentStatistics.fleetCondition("FLEET_ID", fleets)
                + " GROUP BY COMPONENT, VERSION, BUCKET")) {
            ps.setDate(1, fromDay);
            JdbcAgentStatistics.setFleets(ps, 2, fleets);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    histograms.computeIfAbsent(key(rs.getString(1), rs.getString(2)), k -> new TreeMap<>())
                            .put(rs.getInt(3), rs.getLong(4));
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
            TreeMap<Integer, Long> histogram = histograms.getOrDefault(key(t.component, t.version), new TreeMap<>());
            List<Count> errors = JdbcAgentStatistics.sorted(t.errors);
            List<DayOutcomes> byDay = new ArrayList<>();
            t.days.forEach((day, n) -> byDay.add(new DayOutcomes(day, n[0], n[1], n[2])));
            out.add(new ReleaseOutcomes(t.component, t.version, t.succeeded, t.failed, t.rolledBack, rate,
                    percentile(histogram, 50), percentile(histogram, 95),
                    errors.subList(0, Math.min(errors.size(), AgentStatistics.TOP_ERRORS)), byDay));
        }
        return out;
    }

    private static String key(String component, String version) {
        return component + "\n" + version;
    }

    /**
     * The nearest-rank percentile (the value at rank ⌈p/100 · n⌉ in ascending order) read from the histogram: the
     * upper bound of the bucket holding that rank; null without values.
     */
    static Long percentile(TreeMap<Integer, Long> histogram, int p) {
        long n = histogram.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0) {
            return null;
        }
        long rank = rank(n, p);
        long seen = 0;
        for (Map.Entry<Integer, Long> b : histogram.entrySet()) {
            seen += b.getValue();
            if (seen >= rank) {
                return OutcomeRollup.upperBound(b.getKey());
            }
        }
        return OutcomeRollup.upperBound(histogram.lastKey());
    }

    /** ⌈p/100 · n⌉, at least 1. */
    static long rank(long n, int p) {
        return Math.max(1, (n * p + 99) / 100);
    }
}
