package io.printmaster.server.rollouts.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves a rollout on from its counters, on the caller's transaction: stamps waves that reached their success
 * threshold, pauses when a wave's failures reach its limit, opens the next wave once the previous one reached its
 * threshold and the delay passed, completes it when the last wave is open, reached its threshold and nothing is in
 * progress; ends a rollback when no agent is left to take back. Idempotent and safe to run from several processes at
 * once: every step is a conditional update.
 */
final class RolloutProgress {
    /** Failing agents shown with a pause at most. */
    static final int FAILING_SHOWN = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RolloutTransitions transitions;
    private final RolloutEvents events;

    RolloutProgress(RolloutTransitions transitions, RolloutEvents events) {
        this.transitions = transitions;
        this.events = events;
    }

    void evaluate(Connection c, String rolloutId, Instant now) throws SQLException {
        events.touched(rolloutId); // counts may have changed; its events read it once this transaction ends
        Rollout r = RolloutRows.find(c, rolloutId).orElse(null);
        if (r == null) {
            return;
        }
        if (Rollout.ROLLING_BACK.equals(r.state())) {
            evaluateRollback(c, r, now);
            if (RolloutRows.countInStates(c, r.id(), AgentRowState.SUCCEEDED, AgentRowState.REVERTING) == 0) {
                transitions.move(c, r, List.of(Rollout.ROLLING_BACK), Rollout.ROLLED_BACK, RolloutTransitions.SYSTEM,
                        "rollout.rolled_back", now, Map.of(), null);
            }
            return;
        }
        if (!Rollout.RUNNING.equals(r.state())) {
            return;
        }
        List<RolloutRows.WaveRow> waves = RolloutRows.waves(c, r.id());
        boolean changed = false;
        for (RolloutRows.WaveRow w : waves) {
            if (w.open() && w.reachedAt() == null && w.succeeded() >= w.needed()) {
                changed |= RolloutWrites.markReached(c, r.id(), w.index(), now);
            }
        }
        if (changed) {
            waves = RolloutRows.waves(c, r.id());
        }
        for (RolloutRows.WaveRow w : waves) {
            if (w.open() && w.failed() > 0 && w.failed() >= w.failLimit()) {
                pause(c, r, w, now);
                return;
            }
        }
        for (int i = 1; i < waves.size(); i++) {
            if (!waves.get(i).open() && WaveOpening.due(nextMayOpenAt(r, waves.get(i - 1)), now)) {
                if (RolloutWrites.openWave(c, r.id(), i, now)) {
                    transitions.record(c, r, RolloutTransitions.SYSTEM, "rollout.wave_opened", null,
                            Map.of("wave", i, "name", waveName(waves.get(i))));
                    // a wave with nothing planned reaches its threshold at once: the next may follow in this pass
                    RolloutWrites.markReached(c, r.id(), i, now);
                    waves = RolloutRows.waves(c, r.id());
                }
            }
        }
        RolloutRows.WaveRow last = waves.get(waves.size() - 1);
        if (last.open() && last.reachedAt() != null
                && RolloutRows.countInStates(c, r.id(), AgentRowState.IN_PROGRESS) == 0) {
            transitions.move(c, r, List.of(Rollout.RUNNING), Rollout.COMPLETED, RolloutTransitions.SYSTEM,
                    "rollout.completed", now, Map.of(), null);
        }
    }

    /**
     * The rollback's waves, in the rollout's own order: stamps a wave whose rollback reached the success threshold
     * (that share of the agents that had succeeded in it are back), then opens the next once the delay passed; a
     * wave with nobody to take back reaches it at once and holds nothing up.
     */
    private void evaluateRollback(Connection c, Rollout r, Instant now) throws SQLException {
        List<RolloutRows.WaveRow> waves = RolloutRows.waves(c, r.id());
        Map<Integer, RolloutRows.RollbackCount> counts = RolloutRows.rollbackCounts(c, r.id());
        Instant previousAllows = null;
        for (int i = 0; i < waves.size(); i++) {
            RolloutRows.WaveRow w = waves.get(i);
            if (!w.rollbackOpen()) {
                if (i > 0 && !WaveOpening.due(previousAllows, now)) {
                    return;
                }
                if (RolloutWrites.openRollbackWave(c, r.id(), i, now)) {
                    Map<String, Object> details = new LinkedHashMap<>();
                    details.put("wave", i);
                    details.put("name", waveName(w));
                    transitions.record(c, r, RolloutTransitions.SYSTEM, "rollout.rollback_wave_opened", null, details);
                }
            }
            RolloutRows.RollbackCount n = counts.getOrDefault(i, RolloutRows.RollbackCount.NONE);
            Instant reached = w.rollbackReachedAt();
            if (reached == null && n.reverted() >= rollbackNeeded(r, n)) {
                RolloutWrites.markRollbackReached(c, r.id(), i, now);
                reached = now;
            }
            previousAllows = WaveOpening.nextMayOpenAt(true, reached, n.toRevert() == 0,
                    r.plan().delayBetweenWavesSeconds());
        }
    }

    /** How many of a wave's agents must be back before the rollback's next wave may open (the success threshold). */
    static int rollbackNeeded(Rollout r, RolloutRows.RollbackCount n) {
        return (int) Plan.ceilDiv((long) n.toRevert() * r.plan().successThresholdPercent(), 100);
    }

    /** When the wave after {@code w} may open going forward (the plan's delay after {@code w} reached its threshold). */
    static Instant nextMayOpenAt(Rollout r, RolloutRows.WaveRow w) {
        return WaveOpening.nextMayOpenAt(w.open(), w.reachedAt(), false, r.plan().delayBetweenWavesSeconds());
    }

    /**
     * A wave as people read it, the way the console labels it: the canary is "canary", every other wave
     * "wave &lt;index&gt;" with the API's 0-based index (with a canary, the plan's first wave is "wave 1").
     */
    static String waveName(RolloutRows.WaveRow w) {
        return w.canary() ? "canary" : "wave " + w.index();
    }

    /** Opens the first wave of a rollout that starts running (approval or creation without approval). */
    static void start(Connection c, String rolloutId, Instant now) throws SQLException {
        RolloutWrites.openWave(c, rolloutId, 0, now);
        RolloutWrites.markReached(c, rolloutId, 0, now);
    }

    private void pause(Connection c, Rollout r, RolloutRows.WaveRow w, Instant now) throws SQLException {
        String reason = waveName(w) + ": " + w.failed() + " of " + w.planned()
                + " agents failed or rolled back (failure threshold " + r.plan().failureThresholdPercent() + "% = "
                + w.failLimit() + ")";
        List<Map<String, Object>> failing = new ArrayList<>();
        for (RolloutRows.AgentRow a : RolloutRows.failing(c, r.id(), FAILING_SHOWN)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", a.agentId());
            m.put("status", a.state());
            m.put("error_code", a.errorCode());
            failing.add(m);
        }
        String failingJson;
        try {
            failingJson = JSON.writeValueAsString(failing);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (transitions.move(c, r, List.of(Rollout.RUNNING), Rollout.PAUSED, RolloutTransitions.SYSTEM, "rollout.pause",
                now, Map.of("paused_reason", reason), "PAUSED_REASON = ?, FAILING_AGENTS = ?", reason, failingJson)) {
            events.paused(r.id(), reason, w.failed());
        }
    }
}
