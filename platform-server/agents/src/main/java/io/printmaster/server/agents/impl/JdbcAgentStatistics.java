package io.printmaster.server.agents.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link AgentStatistics} on this bundle's tables. The agent counts are one grouped scan of {@code PM_AGENT} with the
 * flags as {@code CASE} sums ({@link AgentFlags}, the same conditions as the list's filters); the release outcomes
 * one grouped query over the window's terminal transitions, which reads only the index
 * {@code PM_AGENT_TELEMETRY_OUTCOME}, and per release two or three queries on {@code PM_AGENT_TELEMETRY_DOWNLOAD}
 * for the percentiles ({@link ReleaseAggregates}).
 */
@Component(service = AgentStatistics.class)
public class JdbcAgentStatistics implements AgentStatistics {
    private final Database database;

    @Activate
    public JdbcAgentStatistics(@Reference Database database) throws Exception {
        this.database = database;
        AgentsSchema.ensure(database);
    }

    @Override
    public AgentCounts agents(Optional<Set<String>> fleets, Instant now) throws SQLException {
        if (fleets.isPresent() && fleets.get().isEmpty()) {
            return new AgentCounts(0, List.of(), List.of(), 0, 0, 0, 0, 0, 0, List.of());
        }
        String sql = "SELECT FLEET_ID, CURRENT_VERSION, STATUS, COUNT(*),"
                + " SUM(CASE WHEN " + AgentFlags.condition(AgentFlags.STALE) + " THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN " + AgentFlags.condition(AgentFlags.LOW_DISK) + " THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN " + AgentFlags.condition(AgentFlags.FAILED) + " THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN LAST_SEEN_AT >= ? THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN LAST_SEEN_AT >= ? THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN LAST_SEEN_AT IS NULL THEN 1 ELSE 0 END)"
                + " FROM PM_AGENT WHERE REVOKED_AT IS NULL" + fleetCondition("FLEET_ID", fleets)
                + " GROUP BY FLEET_ID, CURRENT_VERSION, STATUS";
        return database.read(c -> {
            long total = 0;
            long[] sums = new long[6];
            Map<String, Long> byVersion = new HashMap<>();
            Map<String, Long> byStatus = new HashMap<>();
            Map<String, Map<String, Long>> perFleet = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setTimestamp(i++, Timestamp.from(now));
                ps.setTimestamp(i++, Timestamp.from(now.minus(Duration.ofDays(1))));
                ps.setTimestamp(i++, Timestamp.from(now.minus(Duration.ofDays(7))));
                setFleets(ps, i, fleets);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long n = rs.getLong(4);
                        total += n;
                        for (int k = 0; k < sums.length; k++) {
                            sums[k] += rs.getLong(5 + k);
                        }
                        byVersion.merge(rs.getString(2), n, Long::sum);
                        byStatus.merge(rs.getString(3), n, Long::sum);
                        perFleet.computeIfAbsent(rs.getString(1), f -> new HashMap<>()).merge(rs.getString(2), n, Long::sum);
                    }
                }
            }
            List<FleetVersions> fleetViews = new ArrayList<>();
            perFleet.forEach((fleet, versions) -> fleetViews.add(new FleetVersions(fleet, sorted(versions))));
            return new AgentCounts(total, sorted(byVersion), sorted(byStatus), sums[0], sums[1], sums[2], sums[3],
                    sums[4], sums[5], fleetViews);
        });
    }

    @Override
    public List<ReleaseOutcomes> releases(Optional<Set<String>> fleets, Instant since) throws SQLException {
        if (fleets.isPresent() && fleets.get().isEmpty()) {
            return List.of();
        }
        return database.read(c -> ReleaseAggregates.read(c, fleets, since));
    }

    /** Counts, most first; ties by value (nulls last), so the order is stable. */
    static List<Count> sorted(Map<String, Long> counts) {
        List<Count> out = new ArrayList<>();
        counts.forEach((v, n) -> out.add(new Count(v, n)));
        out.sort(Comparator.comparingLong(Count::count).reversed()
                .thenComparing(Count::value, Comparator.nullsLast(Comparator.naturalOrder())));
        return out;
    }

    /** {@code AND <column> IN (?, …)} for a restriction to fleets, else nothing. */
    static String fleetCondition(String column, Optional<Set<String>> fleets) {
        return fleets.map(f -> " AND " + column + " IN (" + String.join(", ", Collections.nCopies(f.size(), "?"))
                + ")").orElse("");
    }

    /** Sets the fleets of {@link #fleetCondition} from parameter {@code index} on; returns the next index. */
    static int setFleets(PreparedStatement ps, int index, Optional<Set<String>> fleets) throws SQLException {
        if (fleets.isPresent()) {
            for (String f : new java.util.TreeSet<>(fleets.get())) {
                ps.setString(index++, f);
            }
        }
        return index;
    }

    /** Newest version first: semantic order where both parse, text order otherwise. */
    static int newestFirst(String a, String b) {
        try {
            return SemanticVersion.parse(b).compareTo(SemanticVersion.parse(a));
        } catch (IllegalArgumentException e) {
            return b.compareTo(a);
        }
    }
}
