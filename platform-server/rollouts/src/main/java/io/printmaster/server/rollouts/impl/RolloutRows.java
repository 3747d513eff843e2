package io.printmaster.server.rollouts.impl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads of the rollout tables on a caller's connection (inside its transaction when it has one). */
final class RolloutRows {

    /** A wave as stored: its planned size, the successes it needs, the failures that pause, and its counters. */
    record WaveRow(int index, boolean canary, int planned, int needed, int failLimit, int assigned, int succeeded,
                   int failed, String state, Instant openedAt, Instant reachedAt, Instant rollbackOpenedAt,
                   Instant rollbackReachedAt) {
        static final String PENDING = "pending";
        static final String OPEN = "open";

        boolean open() {
            return OPEN.equals(state);
        }

        /** Whether its agents may take a rollback slot (the rollback reached this wave). */
        boolean rollbackOpen() {
            return rollbackOpenedAt != null;
        }
    }

    /**
     * A wave's part in a rollback: the agents that had succeeded in it ({@code succeeded}, {@code reverting},
     * {@code reverted}, {@code revert_failed}) and those back on their previous version.
     */
    record RollbackCount(int toRevert, int reverted) {
        static final RollbackCount NONE = new RollbackCount(0, 0);
    }

    /** An agent's part in a rollout. */
    record AgentRow(String rolloutId, String agentId, String fleet, int wave, String state, String fromVersion,
                    String runId, Instant slotTakenAt, Instant slotExpiresAt, String errorCode) {
    }

    private static final String SELECT_ROLLOUT = "SELECT ID, SEQ, COMPONENT, VERSION, ORIGIN, STATE, PLAN, IN_PROGRESS,"
            + " TARGETED, WAVE_COUNT, POLICY_STAMP, PAUSED_REASON, FAILING_AGENTS, END_REASON, SUPERSEDED, CREATED_AT,"
            + " CREATED_BY, APPROVED_AT, APPROVED_BY, UPDATED_AT, ENDED_AT FROM PM_ROLLOUT";
    private static final String SELECT_AGENT = "SELECT ROLLOUT_ID, AGENT_ID, FLEET_ID, WAVE, STATE, FROM_VERSION,"
            + " RUN_ID, SLOT_TAKEN_AT, SLOT_EXPIRES_AT, ERROR_CODE FROM PM_ROLLOUT_AGENT";

    private RolloutRows() {
    }

    static Optional<Rollout> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT_ROLLOUT + " WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Rollout r = rollout(rs);
                return Optional.of(r.withFleets(fleets(c, id)));
            }
        }
    }

    /** The active rollout of {@code component} for the fleet, when there is one (at most one: the primary key). */
    static Optional<Rollout> activeFor(Connection c, String component, String fleet) throws SQLException {
        String id;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ROLLOUT_ID FROM PM_ROLLOUT_ACTIVE WHERE COMPONENT = ? AND FLEET_ID = ?")) {
            ps.setString(1, component);
            ps.setString(2, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                id = rs.getString(1);
            }
        }
        return find(c, id);
    }

    /**
     * The end states of the fleet's rollouts of this release that ended other than by being superseded, newest
     * first: {@code completed} makes the version free to offer, {@code aborted} / {@code rolled_back} withdraw it.
     */
    static List<String> endStates(Connection c, String component, String fleet, String version) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT R.STATE FROM PM_ROLLOUT_FLEET F JOIN PM_ROLLOUT R"
                + " ON R.ID = F.ROLLOUT_ID WHERE F.FLEET_ID = ? AND F.COMPONENT = ? AND F.VERSION = ?"
                + " AND R.STATE IN ('completed', 'aborted', 'rolled_back') AND R.SUPERSEDED = FALSE ORDER BY R.SEQ DESC")) {
            ps.setString(1, fleet);
            ps.setString(2, component);
            ps.setString(3, version);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    static List<String> fleets(Connection c, String id) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT FLEET_ID FROM PM_ROLLOUT_FLEET WHERE ROLLOUT_ID = ? ORDER BY FLEET_ID")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The agents targeted in each fleet of the rollout. */
    static Map<String, Integer> targetedByFleet(Connection c, String id) throws SQLException {
        Map<String, Integer> out = new java.util.TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT FLEET_ID, TARGETED FROM PM_ROLLOUT_FLEET WHERE ROLLOUT_ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    static List<WaveRow> waves(Connection c, String id) throws SQLException {
        List<WaveRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT IDX, CANARY, PLANNED, NEEDED, FAIL_LIMIT, ASSIGNED,"
                + " SUCCEEDED, FAILED, STATE, OPENED_AT, REACHED_AT, RB_OPENED_AT, RB_REACHED_AT FROM PM_ROLLOUT_WAVE"
                + " WHERE ROLLOUT_ID = ? ORDER BY IDX")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new WaveRow(rs.getInt(1), rs.getBoolean(2), rs.getInt(3), rs.getInt(4), rs.getInt(5),
                            rs.getInt(6), rs.getInt(7), rs.getInt(8), rs.getString(9), instant(rs.getTimestamp(10)),
                            instant(rs.getTimestamp(11)), instant(rs.getTimestamp(12)), instant(rs.getTimestamp(13))));
                }
            }
        }
        return out;
    }

    static Optional<AgentRow> agentRow(Connection c, String rolloutId, String agentId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT_AGENT + " WHERE ROLLOUT_ID = ? AND AGENT_ID = ?")) {
            ps.setString(1, rolloutId);
            ps.setString(2, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(agentRow(rs)) : Optional.empty();
            }
        }
    }

    /** The agent's rows that hold a slot (forward or rollback), in any rollout. */
    static List<AgentRow> slotsOf(Connection c, String agentId) throws SQLException {
        List<AgentRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT_AGENT
                + " WHERE AGENT_ID = ? AND STATE IN ('in_progress', 'reverting')")) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(agentRow(rs));
                }
            }
        }
        return out;
    }

    /** The agent's rows that a run ended as succeeded (in a rollout still moving forward). */
    static List<AgentRow> succeededBy(Connection c, String agentId, String runId) throws SQLException {
        List<AgentRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT_AGENT
                + " WHERE AGENT_ID = ? AND RUN_ID = ? AND STATE = 'succeeded'")) {
            ps.setString(1, agentId);
            ps.setString(2, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(agentRow(rs));
                }
            }
        }
        return out;
    }

    /** Rows holding a slot whose time ran out before {@code now}. */
    static List<AgentRow> expiredSlots(Connection c, String rolloutId, Instant now) throws SQLException {
        List<AgentRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT_AGENT + " WHERE ROLLOUT_ID = ?"
                + " AND STATE IN ('in_progress', 'reverting') AND SLOT_EXPIRES_AT < ?")) {
            ps.setString(1, rolloutId);
            ps.setTimestamp(2, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(agentRow(rs));
                }
            }
        }
        return out;
    }

    /** Up to {@code limit} agents of the wave that failed or rolled back, newest first. */
    static List<AgentRow> failing(Connection c, String rolloutId, int limit) throws SQLException {
        List<AgentRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT_AGENT + " WHERE ROLLOUT_ID = ?"
                + " AND STATE IN ('failed', 'rolled_back') ORDER BY UPDATED_AT DESC FETCH FIRST " + limit + " ROWS ONLY")) {
            ps.setString(1, rolloutId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(agentRow(rs));
                }
            }
        }
        return out;
    }

    /** How many of the rollout's rows are in each state ({@code [wave][state]} flattened by the caller). */
    static List<Object[]> countsByWaveAndState(Connection c, String rolloutId) throws SQLException {
        List<Object[]> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT WAVE, STATE, COUNT(*) FROM PM_ROLLOUT_AGENT"
                + " WHERE ROLLOUT_ID = ? GROUP BY WAVE, STATE")) {
            ps.setString(1, rolloutId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Object[] {rs.getInt(1), rs.getString(2), rs.getInt(3)});
                }
            }
        }
        return out;
    }

    /** Per wave, the agents a rollback takes back and those already back (one grouped query). */
    static Map<Integer, RollbackCount> rollbackCounts(Connection c, String rolloutId) throws SQLException {
        Map<Integer, RollbackCount> out = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT WAVE, COUNT(*),"
                + " SUM(CASE WHEN STATE = 'reverted' THEN 1 ELSE 0 END) FROM PM_ROLLOUT_AGENT WHERE ROLLOUT_ID = ?"
                + " AND STATE IN ('succeeded', 'reverting', 'reverted', 'revert_failed') GROUP BY WAVE")) {
            ps.setString(1, rolloutId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getInt(1), new RollbackCount(rs.getInt(2), rs.getInt(3)));
                }
            }
        }
        return out;
    }

    static int countInStates(Connection c, String rolloutId, String... states) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(states.length, "?"));
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE ROLLOUT_ID = ?"
                + " AND STATE IN (" + marks + ")")) {
            ps.setString(1, rolloutId);
            for (int i = 0; i < states.length; i++) {
                ps.setString(i + 2, states[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Ids of rollouts in these states (the sweep's work list). */
    static List<String> idsInStates(Connection c, List<String> states) throws SQLException {
        List<String> out = new ArrayList<>();
        String marks = String.join(", ", java.util.Collections.nCopies(states.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_ROLLOUT WHERE STATE IN (" + marks + ")")) {
            for (int i = 0; i < states.size(); i++) {
                ps.setString(i + 1, states.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * One page of rollouts, newest first.
     *
     * @param fleet    only rollouts of this fleet, when not null
     * @param state    only rollouts in this state, when not null
     * @param beforeSeq only rollouts older than this (the previous page's {@code next})
     */
    static List<Rollout> page(Connection c, String fleet, String state, long beforeSeq, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder(SELECT_ROLLOUT).append(" WHERE SEQ < ?");
        if (fleet != null) {
            sql.append(" AND ID IN (SELECT ROLLOUT_ID FROM PM_ROLLOUT_FLEET WHERE FLEET_ID = ?)");
        }
        if (state != null) {
            sql.append(" AND STATE = ?");
        }
        sql.append(" ORDER BY SEQ DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
        List<Rollout> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            ps.setLong(i++, beforeSeq);
            if (fleet != null) {
                ps.setString(i++, fleet);
            }
            if (state != null) {
                ps.setString(i, state);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rollout(rs));
                }
            }
        }
        List<Rollout> withFleets = new ArrayList<>();
        for (Rollout r : out) {
            withFleets.add(r.withFleets(fleets(c, r.id())));
        }
        return withFleets;
    }

    private static Rollout rollout(ResultSet rs) throws SQLException {
        return new Rollout(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), Plan.fromJson(rs.getString(7)), rs.getInt(8), rs.getInt(9), rs.getInt(10),
                rs.getString(11), rs.getString(12), rs.getString(13), rs.getString(14), rs.getBoolean(15),
                instant(rs.getTimestamp(16)), rs.getString(17), instant(rs.getTimestamp(18)), rs.getString(19),
                instant(rs.getTimestamp(20)), instant(rs.getTimestamp(21)), List.of());
    }

    private static AgentRow agentRow(ResultSet rs) throws SQLException {
        return new AgentRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                rs.getString(6), rs.getString(7), instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)),
                rs.getString(10));
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    static Timestamp timestamp(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }
}
