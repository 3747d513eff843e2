package io.printmaster.server.rollouts.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A rollout as the API shows it ({@code {"rollout":{…}}}, docs/api.md). */
final class RolloutViews {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Row states that no longer wait: the agent took part (started, finished or was taken back). */
    private static final List<String> STARTED = List.of(AgentRowState.IN_PROGRESS, AgentRowState.SUCCEEDED,
            AgentRowState.FAILED, AgentRowState.ROLLED_BACK, AgentRowState.CANCELLED, AgentRowState.REVERTING,
            AgentRowState.REVERTED, AgentRowState.REVERT_FAILED);

    /** Row states of the agents a rollback takes back: those that had succeeded (as {@link RolloutRows#rollbackCounts}). */
    private static final List<String> ROLLBACK_BASE = List.of(AgentRowState.SUCCEEDED, AgentRowState.REVERTING,
            AgentRowState.REVERTED, AgentRowState.REVERT_FAILED);

    private RolloutViews() {
    }

    /**
     * @param counts rows {@code [wave, state, count]} ({@link RolloutRows#countsByWaveAndState})
     * @param extra  members added as they are (release notes, changes, targeted per fleet), in order
     */
    static Map<String, Object> view(Rollout r, List<Object[]> counts, List<RolloutRows.WaveRow> waves,
                                    Map<String, Object> extra) {
        Map<String, Integer> byState = new HashMap<>();
        Map<Integer, Map<String, Integer>> byWave = new HashMap<>();
        for (Object[] row : counts) {
            int wave = (Integer) row[0];
            String state = (String) row[1];
            int n = (Integer) row[2];
            byState.merge(state, n, Integer::sum);
            byWave.computeIfAbsent(wave, w -> new HashMap<>()).merge(state, n, Integer::sum);
        }
        int started = STARTED.stream().mapToInt(s -> byState.getOrDefault(s, 0)).sum();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("targeted", r.targeted());
        c.put("pending", Math.max(0, r.targeted() - started));
        c.put("in_progress", byState.getOrDefault(AgentRowState.IN_PROGRESS, 0)
                + byState.getOrDefault(AgentRowState.REVERTING, 0));
        c.put("succeeded", byState.getOrDefault(AgentRowState.SUCCEEDED, 0));
        c.put("failed", byState.getOrDefault(AgentRowState.FAILED, 0));
        c.put("rolled_back", byState.getOrDefault(AgentRowState.ROLLED_BACK, 0));
        c.put("cancelled", byState.getOrDefault(AgentRowState.CANCELLED, 0));
        c.put("reverted", byState.getOrDefault(AgentRowState.REVERTED, 0));
        c.put("revert_failed", byState.getOrDefault(AgentRowState.REVERT_FAILED, 0));

        boolean rollbackStarted = Rollout.ROLLING_BACK.equals(r.state()) || Rollout.ROLLED_BACK.equals(r.state())
                || waves.stream().anyMatch(RolloutRows.WaveRow::rollbackOpen);
        List<Map<String, Object>> waveViews = new ArrayList<>();
        for (RolloutRows.WaveRow w : waves) {
            Map<String, Integer> s = byWave.getOrDefault(w.index(), Map.of());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", w.index());
            m.put("canary", w.canary());
            m.put("state", w.open() ? (w.reachedAt() != null ? "done" : "open") : "pending");
            m.put("targeted", w.index() == waves.size() - 1 ? Math.max(w.planned(), w.assigned()) : w.planned());
            m.put("assigned", w.assigned());
            m.put("in_progress", s.getOrDefault(AgentRowState.IN_PROGRESS, 0) + s.getOrDefault(AgentRowState.REVERTING, 0));
            m.put("succeeded", s.getOrDefault(AgentRowState.SUCCEEDED, 0) + s.getOrDefault(AgentRowState.REVERTED, 0)
                    + s.getOrDefault(AgentRowState.REVERT_FAILED, 0));
            m.put("failed", s.getOrDefault(AgentRowState.FAILED, 0) + s.getOrDefault(AgentRowState.ROLLED_BACK, 0));
            m.put("cancelled", s.getOrDefault(AgentRowState.CANCELLED, 0));
            m.put("success_needed", w.needed());
            m.put("opened_at", w.openedAt() == null ? null : w.openedAt().toString());
            m.put("reached_at", w.reachedAt() == null ? null : w.reachedAt().toString());
            // the rollback's progress through the same wave (null members before any rollback)
            int toRevert = ROLLBACK_BASE.stream().mapToInt(st -> s.getOrDefault(st, 0)).sum();
            m.put("rollback_state", !rollbackStarted ? null : !w.rollbackOpen() ? "pending"
                    : w.rollbackReachedAt() != null ? "done" : "open");
            m.put("to_revert", rollbackStarted ? toRevert : null);
            m.put("reverted", rollbackStarted ? s.getOrDefault(AgentRowState.REVERTED, 0) : null);
            m.put("revert_failed", rollbackStarted ? s.getOrDefault(AgentRowState.REVERT_FAILED, 0) : null);
            m.put("rollback_needed", rollbackStarted
                    ? RolloutProgress.rollbackNeeded(r, new RolloutRows.RollbackCount(toRevert, 0)) : null);
            m.put("rollback_opened_at", w.rollbackOpenedAt() == null ? null : w.rollbackOpenedAt().toString());
            m.put("rollback_reached_at", w.rollbackReachedAt() == null ? null : w.rollbackReachedAt().toString());
            waveViews.add(m);
        }

        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", r.id());
        v.put("component", r.component());
        v.put("version", r.version());
        v.put("fleets", r.fleets());
        v.put("plan", r.plan());
        v.put("state", r.state());
        v.put("origin", r.origin());
        v.put("paused_reason", r.pausedReason());
        v.put("failing_agents", failing(r.failingAgents()));
        v.put("end_reason", r.endReason());
        v.put("created_at", r.createdAt().toString());
        v.put("created_by", r.createdBy());
        v.put("approved_at", r.approvedAt() == null ? null : r.approvedAt().toString());
        v.put("approved_by", r.approvedBy());
        v.put("updated_at", r.updatedAt().toString());
        v.put("ended_at", r.endedAt() == null ? null : r.endedAt().toString());
        v.put("counts", c);
        v.put("waves", waveViews);
        v.putAll(extra);
        return v;
    }

    private static List<Map<String, Object>> failing(String json) {
        if (json == null) {
            return List.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<List<Map<String, Object>>>() { });
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
