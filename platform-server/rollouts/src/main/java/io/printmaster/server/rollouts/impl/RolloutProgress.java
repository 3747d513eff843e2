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

    RolloutProgress(RolloutTransitions transitions) {
        this.transitions = transitions;
    }

    void evaluate(Connection c, String rolloutId, Instant now) throws SQLException {
        Rollout r = RolloutRows.find(c, rolloutId).orElse(null);
        if (r == null) {
            return;
        }
        if (Rollout.ROLLING_BACK.equals(r.state())) {
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
            RolloutRows.WaveRow previous = waves.get(i - 1);
            if (!waves.get(i).open() && previous.open() && previous.reachedAt() != null
                    && !now.isBefore(previous.reachedAt().plusSeconds(r.plan().delayBetweenWavesSeconds()))) {
                if (RolloutWrites.openWave(c, r.id(), i, now)) {
                    transitions.record(c, r, RolloutTransitions.SYSTEM, "rollout.wave_opened", null,
                            Map.of("wave", i));
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

    /** Opens the first wave of a rollout that starts running (approval or creation without approval). */
    static void start(Connection c, String rolloutId, Instant now) throws SQLException {
        RolloutWrites.openWave(c, rolloutId, 0, now);
        RolloutWrites.markReached(c, rolloutId, 0, now);
    }

    private void pause(Connection c, Rollout r, RolloutRows.WaveRow w, Instant now) throws SQLException {
        String reason = (w.canary() ? "canary" : "wave " + w.index()) + ": " + w.failed() + " of " + w.planned()
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
        transitions.move(c, r, List.of(Rollout.RUNNING), Rollout.PAUSED, RolloutTransitions.SYSTEM, "rollout.pause",
                now, Map.of("paused_reason", reason), "PAUSED_REASON = ?, FAILING_AGENTS = ?", reason, failingJson);
    }
}
