package io.printmaster.server.rollouts.impl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.printmaster.server.rollouts.impl.RolloutRows.timestamp;

/**
 * Writes of the rollout tables on a caller's transaction. Every change that several server processes may race on is
 * a conditional UPDATE (the row count says who won) or an insert guarded by a key; nothing here trusts a value read
 * earlier in memory.
 */
final class RolloutWrites {

    private RolloutWrites() {
    }

    /**
     * Inserts a rollout, its fleets (with the count targeted in each), its waves and the rows of named canary agents,
     * and claims {@code PM_ROLLOUT_ACTIVE} for each fleet.
     *
     * @throws SQLException with SQL state 23505 when another active rollout of the component holds one of the fleets
     */
    static void insert(Connection c, Rollout r, Map<String, Integer> targetedByFleet, List<Integer> waveSizes,
                       Map<String, String> canaryAgentFleets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_ROLLOUT (ID, COMPONENT, VERSION, ORIGIN, STATE,"
                + " PLAN, MAX_CONCURRENT, JITTER_SECONDS, DELAY_SECONDS, SUCCESS_PERCENT, FAILURE_PERCENT, IN_PROGRESS,"
                + " TARGETED, WAVE_COUNT, POLICY_STAMP, SUPERSEDED, CREATED_AT, CREATED_BY, APPROVED_AT, APPROVED_BY,"
                + " UPDATED_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, FALSE, ?, ?, ?, ?, ?)")) {
            Plan p = r.plan();
            ps.setString(1, r.id());
            ps.setString(2, r.component());
            ps.setString(3, r.version());
            ps.setString(4, r.origin());
            ps.setString(5, r.state());
            ps.setString(6, p.toJson());
            ps.setInt(7, p.maxConcurrent());
            ps.setInt(8, p.jitterSeconds());
            ps.setInt(9, p.delayBetweenWavesSeconds());
            ps.setInt(10, p.successThresholdPercent());
            ps.setInt(11, p.failureThresholdPercent());
            ps.setInt(12, r.targeted());
            ps.setInt(13, waveSizes.size());
            ps.setString(14, r.policyStamp());
            ps.setTimestamp(15, timestamp(r.createdAt()));
            ps.setString(16, r.createdBy());
            ps.setTimestamp(17, timestamp(r.approvedAt()));
            ps.setString(18, r.approvedBy());
            ps.setTimestamp(19, timestamp(r.createdAt()));
            ps.executeUpdate();
        }
        for (String fleet : r.fleets()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_ROLLOUT_FLEET (ROLLOUT_ID, FLEET_ID,"
                    + " COMPONENT, VERSION, TARGETED) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, r.id());
                ps.setString(2, fleet);
                ps.setString(3, r.component());
                ps.setString(4, r.version());
                ps.setInt(5, targetedByFleet.getOrDefault(fleet, 0));
                ps.executeUpdate();
            }
            claimActive(c, r.component(), fleet, r.id());
        }
        for (int i = 0; i < waveSizes.size(); i++) {
            int planned = waveSizes.get(i);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_ROLLOUT_WAVE (ROLLOUT_ID, IDX, CANARY, PLANNED,"
                    + " NEEDED, FAIL_LIMIT, ASSIGNED, SUCCEEDED, FAILED, STATE) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 'pending')")) {
                ps.setString(1, r.id());
                ps.setInt(2, i);
                ps.setBoolean(3, r.plan().isCanary(i));
                ps.setInt(4, planned);
                ps.setInt(5, (int) Plan.ceilDiv((long) planned * r.plan().successThresholdPercent(), 100));
                ps.setInt(6, (int) Math.max(1, Plan.ceilDiv((long) planned * r.plan().failureThresholdPercent(), 100)));
                ps.setInt(7, i == 0 ? canaryAgentFleets.size() : 0);
                ps.executeUpdate();
            }
        }
        for (Map.Entry<String, String> agent : canaryAgentFleets.entrySet()) {
            insertAgentRow(c, r.id(), agent.getKey(), agent.getValue(), 0, r.createdAt());
        }
    }

    /**
     * Locks the rollout's row for the rest of the transaction. Every transaction that changes a rollout's waves,
     * agent rows or counters takes this lock first (after the agent's own row, which check-in and telemetry write
     * before), so they queue on one row in one order and never deadlock on each other's wave or agent rows.
     *
     * @return false when there is no such rollout
     */
    static boolean lock(Connection c, String rolloutId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT SET UPDATED_AT = UPDATED_AT WHERE ID = ?")) {
            ps.setString(1, rolloutId);
            return ps.executeUpdate() == 1;
        }
    }

    /** Claims the fleet for this rollout; SQL state 23505 when another active rollout holds it. */
    static void claimActive(Connection c, String component, String fleet, String rolloutId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PM_ROLLOUT_ACTIVE (COMPONENT, FLEET_ID, ROLLOUT_ID) VALUES (?, ?, ?)")) {
            ps.setString(1, component);
            ps.setString(2, fleet);
            ps.setString(3, rolloutId);
            ps.executeUpdate();
        }
    }

    static void releaseActive(Connection c, String rolloutId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_ROLLOUT_ACTIVE WHERE ROLLOUT_ID = ?")) {
            ps.setString(1, rolloutId);
            ps.executeUpdate();
        }
    }

    /**
     * Moves the rollout from one of {@code from} to {@code to}, setting the given extra columns.
     *
     * @return false when it was in none of them (another request or process moved it first)
     */
    static boolean moveState(Connection c, String id, List<String> from, String to, Instant now, String extraSet,
                             Object... extraValues) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(from.size(), "?"));
        String sql = "UPDATE PM_ROLLOUT SET STATE = ?, UPDATED_AT = ?" + (extraSet == null ? "" : ", " + extraSet)
                + " WHERE ID = ? AND STATE IN (" + marks + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, to);
            ps.setTimestamp(i++, timestamp(now));
            for (Object v : extraValues) {
                if (v instanceof Instant instant) {
                    ps.setTimestamp(i++, timestamp(instant));
                } else {
                    ps.setObject(i++, v);
                }
            }
            ps.setString(i++, id);
            for (String f : from) {
                ps.setString(i++, f);
            }
            return ps.executeUpdate() == 1;
        }
    }

    static boolean openWave(Connection c, String id, int index, Instant now) throws SQLException {
        return stampWave(c, id, index, now, "STATE = 'open', OPENED_AT = ?", "STATE = 'pending'");
    }

    /** Stamps when an open wave first reached its success threshold. */
    static boolean markReached(Connection c, String id, int index, Instant now) throws SQLException {
        return stampWave(c, id, index, now, "REACHED_AT = ?", "STATE = 'open' AND REACHED_AT IS NULL AND SUCCEEDED >= NEEDED");
    }

    /** Opens a wave's rollback: its agents may take rollback slots from now on. */
    static boolean openRollbackWave(Connection c, String id, int index, Instant now) throws SQLException {
        return stampWave(c, id, index, now, "RB_OPENED_AT = ?", "RB_OPENED_AT IS NULL");
    }

    /**
     * Stamps when a wave's rollback first reached the success threshold. The caller read the counts under the
     * rollout's lock ({@link #lock}), so they are the ones every writer of its agent rows waits behind.
     */
    static boolean markRollbackReached(Connection c, String id, int index, Instant now) throws SQLException {
        return stampWave(c, id, index, now, "RB_REACHED_AT = ?", "RB_OPENED_AT IS NOT NULL AND RB_REACHED_AT IS NULL");
    }

    /**
     * Takes a place in an open wave: its planned size bounds every wave but the last, which takes everyone left.
     *
     * @return false when the wave is not open or full
     */
    static boolean takePlaceInWave(Connection c, String id, int index, boolean last) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_WAVE SET ASSIGNED = ASSIGNED + 1"
                + " WHERE ROLLOUT_ID = ? AND IDX = ? AND STATE = 'open'" + (last ? "" : " AND ASSIGNED < PLANNED"))) {
            ps.setString(1, id);
            ps.setInt(2, index);
            return ps.executeUpdate() == 1;
        }
    }

    /** Counts an agent into a wave whatever its state and room (an administrator's "Update now"). */
    static void countPlaceInWave(Connection c, String id, int index) throws SQLException {
        addAssigned(c, id, index, 1);
    }

    static void givePlaceBack(Connection c, String id, int index) throws SQLException {
        addAssigned(c, id, index, -1);
    }

    static void insertAgentRow(Connection c, String rolloutId, String agentId, String fleet, int wave, Instant now)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_ROLLOUT_AGENT (ROLLOUT_ID, AGENT_ID, FLEET_ID,"
                + " WAVE, STATE, UPDATED_AT) VALUES (?, ?, ?, ?, 'assigned', ?)")) {
            ps.setString(1, rolloutId);
            ps.setString(2, agentId);
            ps.setString(3, fleet);
            ps.setInt(4, wave);
            ps.setTimestamp(5, timestamp(now));
            ps.executeUpdate();
        }
    }

    /** An agent enrolled after the rollout was planned joined it: the targeted counts grow. */
    static void countLateJoiner(Connection c, String rolloutId, String fleet) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT SET TARGETED = TARGETED + 1 WHERE ID = ?")) {
            ps.setString(1, rolloutId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PM_ROLLOUT_FLEET SET TARGETED = TARGETED + 1 WHERE ROLLOUT_ID = ? AND FLEET_ID = ?")) {
            ps.setString(1, rolloutId);
            ps.setString(2, fleet);
            ps.executeUpdate();
        }
    }

    /**
     * Takes one of the rollout's slots for the agent: the row moves from {@code fromState} to {@code slotState}
     * and the rollout's {@code IN_PROGRESS} grows, both only when allowed ({@code rolloutStates}, below the cap).
     *
     * @return false when the agent's row is not in {@code fromState} or no slot is free (nothing changed)
     */
    static boolean takeSlot(Connection c, String rolloutId, String agentId, String fromState, String slotState,
                            List<String> rolloutStates, String runId, String fromVersion, Instant now, Instant expires)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET STATE = ?, RUN_ID = ?,"
                + " FROM_VERSION = COALESCE(?, FROM_VERSION), SLOT_TAKEN_AT = ?, SLOT_EXPIRES_AT = ?, ERROR_CODE = NULL,"
                + " UPDATED_AT = ? WHERE ROLLOUT_ID = ? AND AGENT_ID = ? AND STATE = ?")) {
            ps.setString(1, slotState);
            ps.setString(2, runId);
            ps.setString(3, fromVersion);
            ps.setTimestamp(4, timestamp(now));
            ps.setTimestamp(5, timestamp(expires));
            ps.setTimestamp(6, timestamp(now));
            ps.setString(7, rolloutId);
            ps.setString(8, agentId);
            ps.setString(9, fromState);
            if (ps.executeUpdate() != 1) {
                return false;
            }
        }
        String marks = String.join(", ", java.util.Collections.nCopies(rolloutStates.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT SET IN_PROGRESS = IN_PROGRESS + 1"
                + " WHERE ID = ? AND IN_PROGRESS < MAX_CONCURRENT AND STATE IN (" + marks + ")")) {
            ps.setString(1, rolloutId);
            for (int i = 0; i < rolloutStates.size(); i++) {
                ps.setString(i + 2, rolloutStates.get(i));
            }
            if (ps.executeUpdate() == 1) {
                return true;
            }
        }
        // no slot: put the row back as it was (same transaction, so nobody saw it move)
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET STATE = ?, RUN_ID = NULL,"
                + " SLOT_TAKEN_AT = NULL, SLOT_EXPIRES_AT = NULL WHERE ROLLOUT_ID = ? AND AGENT_ID = ?")) {
            ps.setString(1, fromState);
            ps.setString(2, rolloutId);
            ps.setString(3, agentId);
            ps.executeUpdate();
        }
        return false;
    }

    /**
     * A success that turned out not to be one: the row moves from {@code succeeded} to {@code toState} and the
     * wave's counters follow (the slot was freed already).
     */
    static boolean correctSuccess(Connection c, String rolloutId, String agentId, int wave, String toState,
                                  String errorCode, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET STATE = ?, ERROR_CODE = ?,"
                + " UPDATED_AT = ? WHERE ROLLOUT_ID = ? AND AGENT_ID = ? AND STATE = 'succeeded'")) {
            ps.setString(1, toState);
            ps.setString(2, errorCode);
            ps.setTimestamp(3, timestamp(now));
            ps.setString(4, rolloutId);
            ps.setString(5, agentId);
            if (ps.executeUpdate() != 1) {
                return false;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_WAVE SET SUCCEEDED = SUCCEEDED - 1,"
                + " FAILED = FAILED + 1 WHERE ROLLOUT_ID = ? AND IDX = ? AND SUCCEEDED > 0")) {
            ps.setString(1, rolloutId);
            ps.setInt(2, wave);
            ps.executeUpdate();
        }
        return true;
    }

    /** The agent keeps its slot for a new run of the same update (a restarted worker): the run id follows. */
    static void renewRun(Connection c, String rolloutId, String agentId, String runId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET RUN_ID = ?, UPDATED_AT = ?"
                + " WHERE ROLLOUT_ID = ? AND AGENT_ID = ? AND STATE IN ('in_progress', 'reverting')")) {
            ps.setString(1, runId);
            ps.setTimestamp(2, timestamp(now));
            ps.setString(3, rolloutId);
            ps.setString(4, agentId);
            ps.executeUpdate();
        }
    }

    /**
     * Frees the agent's slot: the row moves from {@code slotState} to {@code toState}, the rollout's
     * {@code IN_PROGRESS} shrinks and the wave's counters follow.
     *
     * @return false when the row no longer held that slot (another process freed it first)
     */
    static boolean freeSlot(Connection c, String rolloutId, String agentId, int wave, String slotState,
                            String toState, String errorCode, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET STATE = ?, ERROR_CODE = ?,"
                + " SLOT_EXPIRES_AT = NULL, UPDATED_AT = ? WHERE ROLLOUT_ID = ? AND AGENT_ID = ? AND STATE = ?")) {
            ps.setString(1, toState);
            ps.setString(2, errorCode);
            ps.setTimestamp(3, timestamp(now));
            ps.setString(4, rolloutId);
            ps.setString(5, agentId);
            ps.setString(6, slotState);
            if (ps.executeUpdate() != 1) {
                return false;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PM_ROLLOUT SET IN_PROGRESS = IN_PROGRESS - 1 WHERE ID = ? AND IN_PROGRESS > 0")) {
            ps.setString(1, rolloutId);
            ps.executeUpdate();
        }
        String counter = switch (toState) {
            case AgentRowState.SUCCEEDED -> AgentRowState.IN_PROGRESS.equals(slotState) ? "SUCCEEDED" : null;
            case AgentRowState.FAILED, AgentRowState.ROLLED_BACK -> "FAILED";
            default -> null;
        };
        if (counter != null) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_WAVE SET " + counter + " = " + counter
                    + " + 1 WHERE ROLLOUT_ID = ? AND IDX = ?")) {
                ps.setString(1, rolloutId);
                ps.setInt(2, wave);
                ps.executeUpdate();
            }
        }
        return true;
    }

    /**
     * One conditional stamp of a wave: {@code set} (with one timestamp parameter) when {@code condition} holds, so
     * only the first of concurrent writers stamps it.
     *
     * @return whether this call stamped it
     */
    private static boolean stampWave(Connection c, String id, int index, Instant now, String set, String condition)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_WAVE SET " + set
                + " WHERE ROLLOUT_ID = ? AND IDX = ? AND " + condition)) {
            ps.setTimestamp(1, timestamp(now));
            ps.setString(2, id);
            ps.setInt(3, index);
            return ps.executeUpdate() == 1;
        }
    }

    private static void addAssigned(Connection c, String id, int index, int delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PM_ROLLOUT_WAVE SET ASSIGNED = ASSIGNED + ? WHERE ROLLOUT_ID = ? AND IDX = ?")) {
            ps.setInt(1, delta);
            ps.setString(2, id);
            ps.setInt(3, index);
            ps.executeUpdate();
        }
    }
}
