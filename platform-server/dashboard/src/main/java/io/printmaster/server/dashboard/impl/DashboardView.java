package io.printmaster.server.dashboard.impl;

import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.server.agents.api.AgentStatistics.Count;
import io.printmaster.server.rollouts.api.RolloutOverview;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON of {@code GET /api/v1/dashboard} (docs/api.md): member names and order as documented. */
final class DashboardView {
    private DashboardView() {
    }

    /** One fleet's row: its agents by current version and the version its policy moves them to (null: none). */
    record FleetRow(String id, List<Count> current, String targetVersion) {
    }

    static Map<String, Object> render(AgentStatistics.AgentCounts counts, List<AgentStatistics.ReleaseOutcomes> releases,
                                      List<RolloutOverview.ActiveRollout> rollouts, List<FleetRow> fleets) {
        Map<String, Object> agents = new LinkedHashMap<>();
        agents.put("total", counts.total());
        agents.put("by_version", counted(counts.byVersion(), "version"));
        agents.put("by_status", counted(counts.byStatus(), "status"));
        agents.put("stale", counts.stale());
        agents.put("low_disk", counts.lowDisk());
        agents.put("failed", counts.failed());
        Map<String, Object> checkedIn = new LinkedHashMap<>();
        checkedIn.put("day", counts.checkedInDay());
        checkedIn.put("week", counts.checkedInWeek());
        checkedIn.put("never", counts.neverCheckedIn());
        agents.put("checked_in", checkedIn);

        List<Map<String, Object>> releaseViews = new ArrayList<>();
        for (AgentStatistics.ReleaseOutcomes r : releases) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("component", r.component());
            m.put("version", r.version());
            m.put("success_rate", r.successRate());
            m.put("download_ms_p50", r.downloadMsP50());
            m.put("download_ms_p95", r.downloadMsP95());
            m.put("succeeded", r.succeeded());
            m.put("failed", r.failed());
            m.put("rolled_back", r.rolledBack());
            m.put("top_errors", counted(r.topErrors(), "error_code"));
            List<Map<String, Object>> days = new ArrayList<>();
            for (AgentStatistics.DayOutcomes d : r.byDay()) {
                Map<String, Object> day = new LinkedHashMap<>();
                day.put("day", d.day().toString());
                day.put("succeeded", d.succeeded());
                day.put("failed", d.failed());
                day.put("rolled_back", d.rolledBack());
                days.add(day);
            }
            m.put("by_day", days);
            releaseViews.add(m);
        }

        List<Map<String, Object>> rolloutViews = new ArrayList<>();
        for (RolloutOverview.ActiveRollout r : rollouts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("state", r.state());
            m.put("component", r.component());
            m.put("version", r.version());
            m.put("fleets", r.fleets());
            m.put("counts", r.counts());
            rolloutViews.add(m);
        }

        List<Map<String, Object>> fleetViews = new ArrayList<>();
        for (FleetRow f : fleets) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", f.id());
            m.put("current", counted(f.current(), "version"));
            m.put("target_version", f.targetVersion());
            fleetViews.add(m);
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agents", agents);
        body.put("releases", releaseViews);
        body.put("rollouts", rolloutViews);
        body.put("fleets", fleetViews);
        return body;
    }

    /** Counts as {@code [{"<name>": value, "count": n}]}. */
    private static List<Map<String, Object>> counted(List<Count> counts, String name) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Count c : counts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(name, c.value());
            m.put("count", c.count());
            out.add(m);
        }
        return out;
    }
}
