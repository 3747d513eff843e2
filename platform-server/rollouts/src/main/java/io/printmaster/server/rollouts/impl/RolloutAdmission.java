package io.printmaster.server.rollouts.impl;

import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.RunTransition;
import io.printmaster.store.UniqueKeys;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The writes of the gate, each on the caller's transaction (the check-in's or the telemetry's): placing an agent in
 * a wave, taking and freeing its slot, and the end of its run. Every step is a conditional update, so concurrent
 * check-ins of many agents, in one process or several, never take more than {@code max_concurrent} slots.
 */
final class RolloutAdmission {

    /** What admission made of an offer. */
    enum Outcome { ADMITTED, COME_WITH_RUN, NO_SLOT, WAVE_CLOSED, NOT_OFFERED }

    private final RolloutStore store;
    private final RolloutSettings settings;

    RolloutAdmission(RolloutStore store, RolloutSettings settings) {
        this.store = store;
        this.settings = settings;
    }

    /** Whether an agent could be placed now: in the last wave when it joined late, else in any open wave with room. */
    static boolean placeable(List<RolloutRows.WaveRow> waves, boolean late) {
        RolloutRows.WaveRow last = waves.get(waves.size() - 1);
        if (late) {
            return last.open();
        }
        for (RolloutRows.WaveRow w : waves) {
            if (w.open() && (w == last || w.assigned() < w.planned())) {
                return true;
            }
        }
        return false;
    }

    Outcome admitForward(Connection c, Rollout r, GateRequest request, boolean late) throws SQLException {
        AgentSnapshot agent = request.agent();
        Instant now = store.now();
        Optional<RolloutRows.AgentRow> row = RolloutRows.agentRow(c, r.id(), agent.id());
        if (row.isPresent() && AgentRowState.IN_PROGRESS.equals(row.get().state())) {
            if (Rollout.RUNNING.equals(r.state()) || Rollout.PAUSED.equals(r.state())) {
                if (request.runId() != null && !request.runId().equals(row.get().runId())) {
                    RolloutWrites.renewRun(c, r.id(), agent.id(), request.runId(), now);
                }
                return Outcome.ADMITTED;
            }
            return Outcome.NOT_OFFERED; // aborted: the run in progress learns it here and cancels
        }
        if (request.forced() && forcedMayStart(r, row.map(RolloutRows.AgentRow::state).orElse(null), true)) {
            return admitForced(c, r, request, row, late, now);
        }
        if (!Rollout.RUNNING.equals(r.state())) {
            return r.active() ? Outcome.NO_SLOT : Outcome.NOT_OFFERED;
        }
        if (row.isEmpty()) {
            if (!place(c, r, agent, late, now)) {
                return Outcome.WAVE_CLOSED;
            }
        } else if (!AgentRowState.ASSIGNED.equals(row.get().state())) {
            return Outcome.NOT_OFFERED;
        } else if (!RolloutRows.waves(c, r.id()).get(row.get().wave()).open()) {
            return Outcome.WAVE_CLOSED;
        }
        if (request.runId() == null) {
            return Outcome.COME_WITH_RUN;
        }
        boolean taken = RolloutWrites.takeSlot(c, r.id(), agent.id(), AgentRowState.ASSIGNED, AgentRowState.IN_PROGRESS,
                List.of(Rollout.RUNNING), request.runId(), agent.currentVersion(), now, expiry(now));
        return taken ? Outcome.ADMITTED : Outcome.NO_SLOT;
    }

    /** The row states an "Update now" may start a run from: not yet run, or a run that ended without success. */
    private static final List<String> FORCEABLE = List.of(AgentRowState.ASSIGNED, AgentRowState.FAILED,
            AgentRowState.ROLLED_BACK, AgentRowState.CANCELLED);

    /**
     * Whether an administrator's "Update now" may start this agent's run in the rollout: the rollout runs or is
     * paused (not awaiting approval, not ended: approval and abort stay the administrator's decisions) and the agent
     * has not run it yet or its run ended without success ({@code rowState} null: no row yet, then
     * {@code targeted} says whether the rollout is for it).
     */
    static boolean forcedMayStart(Rollout r, String rowState, boolean targeted) {
        boolean open = Rollout.RUNNING.equals(r.state()) || Rollout.PAUSED.equals(r.state());
        return open && (rowState == null ? targeted : FORCEABLE.contains(rowState));
    }

    /**
     * A forced run takes a slot whatever its wave and a pause say, but never beyond {@code max_concurrent}; an agent
     * not in a wave yet joins the last one.
     */
    private Outcome admitForced(Connection c, Rollout r, GateRequest request, Optional<RolloutRows.AgentRow> row,
                                boolean late, Instant now) throws SQLException {
        if (request.runId() == null) {
            return Outcome.COME_WITH_RUN;
        }
        AgentSnapshot agent = request.agent();
        String from;
        if (row.isEmpty()) {
            int last = RolloutRows.waves(c, r.id()).size() - 1;
            RolloutWrites.countPlaceInWave(c, r.id(), last);
            // under a savepoint: a duplicate key must not end the check-in's transaction on PostgreSQL
            if (!UniqueKeys.tryWrite(c, x -> {
                RolloutWrites.insertAgentRow(x, r.id(), agent.id(), agent.fleet(), last, now);
                return null;
            })) {
                return Outcome.NO_SLOT; // a concurrent check-in of the same agent placed it: the next one decides
            }
            if (late) {
                RolloutWrites.countLateJoiner(c, r.id(), agent.fleet());
            }
            from = AgentRowState.ASSIGNED;
        } else {
            from = row.get().state();
        }
        boolean taken = RolloutWrites.takeSlot(c, r.id(), agent.id(), from, AgentRowState.IN_PROGRESS,
                List.of(Rollout.RUNNING, Rollout.PAUSED), request.runId(), agent.currentVersion(), now, expiry(now));
        return taken ? Outcome.ADMITTED : Outcome.NO_SLOT;
    }

    Outcome admitRollback(Connection c, Rollout r, GateRequest request) throws SQLException {
        AgentSnapshot agent = request.agent();
        Instant now = store.now();
        if (!Rollout.ROLLING_BACK.equals(r.state())) {
            return Outcome.NOT_OFFERED;
        }
        Optional<RolloutRows.AgentRow> row = RolloutRows.agentRow(c, r.id(), agent.id());
        if (row.isEmpty()) {
            return Outcome.NOT_OFFERED;
        }
        if (AgentRowState.REVERTING.equals(row.get().state())) {
            if (request.runId() != null && !request.runId().equals(row.get().runId())) {
                RolloutWrites.renewRun(c, r.id(), agent.id(), request.runId(), now);
            }
            return Outcome.ADMITTED;
        }
        if (!AgentRowState.SUCCEEDED.equals(row.get().state())) {
            return Outcome.NOT_OFFERED;
        }
        // read under the rollout's lock: the wave's rollback is open in the transaction that takes the slot
        if (!RolloutRows.waves(c, r.id()).get(row.get().wave()).rollbackOpen()) {
            return Outcome.WAVE_CLOSED;
        }
        if (request.runId() == null) {
            return Outcome.COME_WITH_RUN;
        }
        boolean taken = RolloutWrites.takeSlot(c, r.id(), agent.id(), AgentRowState.SUCCEEDED, AgentRowState.REVERTING,
                List.of(Rollout.ROLLING_BACK), request.runId(), null, now, expiry(now));
        return taken ? Outcome.ADMITTED : Outcome.NO_SLOT;
    }

    /**
     * Places the agent in a wave: the last when it joined late, else the lowest open wave with room (the last takes
     * everyone left), and writes its row.
     */
    private boolean place(Connection c, Rollout r, AgentSnapshot agent, boolean late, Instant now) throws SQLException {
        List<RolloutRows.WaveRow> waves = RolloutRows.waves(c, r.id());
        int last = waves.size() - 1;
        for (RolloutRows.WaveRow w : waves) {
            if (late && w.index() != last || !w.open()) {
                continue;
            }
            if (RolloutWrites.takePlaceInWave(c, r.id(), w.index(), w.index() == last)) {
                int wave = w.index();
                if (!UniqueKeys.tryWrite(c, x -> { // a savepoint: the transaction goes on after a duplicate key
                    RolloutWrites.insertAgentRow(x, r.id(), agent.id(), agent.fleet(), wave, now);
                    return null;
                })) {
                    // a concurrent check-in of the same agent placed it first: give the place back, use its row
                    RolloutWrites.givePlaceBack(c, r.id(), w.index());
                    return RolloutRows.agentRow(c, r.id(), agent.id())
                            .map(a -> AgentRowState.ASSIGNED.equals(a.state())).orElse(false);
                }
                if (late) {
                    RolloutWrites.countLateJoiner(c, r.id(), agent.fleet());
                }
                return true;
            }
        }
        return false;
    }

    /**
     * A check-in that reports the version a slot was taken for ends that slot: the agent got there (its telemetry
     * may be off). The rollback's slot ends the same way when it reports the version it ran before.
     */
    void recordReportedVersion(Connection c, AgentSnapshot agent) throws SQLException {
        for (RolloutRows.AgentRow row : RolloutRows.slotsOf(c, agent.id())) {
            Optional<Rollout> r = RolloutWrites.lock(c, row.rolloutId())
                    ? RolloutRows.find(c, row.rolloutId()) : Optional.empty();
            if (r.isEmpty()) {
                continue;
            }
            Instant now = store.now();
            boolean forwardDone = AgentRowState.IN_PROGRESS.equals(row.state())
                    && r.get().version().equals(agent.currentVersion());
            boolean revertDone = AgentRowState.REVERTING.equals(row.state())
                    && row.fromVersion() != null && row.fromVersion().equals(agent.currentVersion());
            if (forwardDone || revertDone) {
                String to = forwardDone ? AgentRowState.SUCCEEDED : AgentRowState.REVERTED;
                if (RolloutWrites.freeSlot(c, row.rolloutId(), agent.id(), row.wave(), row.state(), to, null, now)) {
                    store.progress().evaluate(c, row.rolloutId(), now);
                }
            }
        }
    }

    /** A terminal status of the run that holds a slot frees it; the rollout moves on from its counters. */
    void runTransition(Connection c, String agentId, RunTransition t) throws SQLException {
        if (!t.terminal()) {
            return;
        }
        if ("failed".equals(t.status()) || "rolled_back".equals(t.status())) {
            // the new version's check-in counted the run as succeeded, then its trial failed and went back
            for (RolloutRows.AgentRow row : RolloutRows.succeededBy(c, agentId, t.runId())) {
                Instant now = store.now();
                RolloutWrites.lock(c, row.rolloutId());
                if (RolloutWrites.correctSuccess(c, row.rolloutId(), agentId, row.wave(),
                        AgentRowState.AFTER_FORWARD_RUN.get(t.status()), t.errorCode(), now)) {
                    store.progress().evaluate(c, row.rolloutId(), now);
                }
            }
        }
        for (RolloutRows.AgentRow row : RolloutRows.slotsOf(c, agentId)) {
            if (row.runId() != null && !row.runId().equals(t.runId())) {
                continue; // another run's end (an older run, or one the rollout gave no slot)
            }
            boolean forward = AgentRowState.IN_PROGRESS.equals(row.state());
            String to = (forward ? AgentRowState.AFTER_FORWARD_RUN : AgentRowState.AFTER_REVERT_RUN).get(t.status());
            if (to == null) {
                continue;
            }
            Instant now = store.now();
            RolloutWrites.lock(c, row.rolloutId());
            if (RolloutWrites.freeSlot(c, row.rolloutId(), agentId, row.wave(), row.state(), to, t.errorCode(), now)) {
                store.progress().evaluate(c, row.rolloutId(), now);
            }
        }
    }

    /** Frees slots held past the timeout: the agent counts as failed ({@value #SLOT_TIMEOUT}). */
    void expireSlots(Connection c, String rolloutId, Instant now) throws SQLException {
        for (RolloutRows.AgentRow row : RolloutRows.expiredSlots(c, rolloutId, now)) {
            boolean forward = AgentRowState.IN_PROGRESS.equals(row.state());
            RolloutWrites.freeSlot(c, rolloutId, row.agentId(), row.wave(), row.state(),
                    forward ? AgentRowState.FAILED : AgentRowState.REVERT_FAILED, SLOT_TIMEOUT, now);
        }
    }

    static final String SLOT_TIMEOUT = "SLOT_TIMEOUT";

    private Instant expiry(Instant now) {
        return now.plusSeconds(settings.slotTimeoutSeconds());
    }
}
