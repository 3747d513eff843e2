package io.printmaster.server.agents.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.AuditLog;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one telemetry request tells others, worked out in its transaction and published after it commits: the audit
 * entry of every update outcome ({@code agent.update.<status>}, in the transaction), the events {@code agent.status}
 * (each transition that moved the agent's summary), {@code agent.outcome} (each outcome) and {@code release.failed}
 * when the failures of one release in one fleet over the last 24 hours reach 1, 5, 10, 25, 50, 100, 250, 500, 1000,
 * … (a few events however many agents fail, never one per failure).
 */
final class OutcomeSignals {
    /** The terminal statuses that are an update's outcome (a check that found nothing, or a skipped run, is not). */
    static final List<String> OUTCOMES = List.of("succeeded", "failed", "rolled_back", "cancelled");
    static final Duration FAILURE_WINDOW = Duration.ofHours(24);

    private final List<ServerEvent> events = new ArrayList<>();

    /** An accepted transition of the agent's own run that moved its summary. */
    void statusChanged(AgentRecord agent, TelemetryEvent e) {
        events.add(new ServerEvent(ServerEvent.AGENT_STATUS, e.reportedAt(), agent.fleet(), data(agent, e)));
    }

    /**
     * A stored transition: when it is an outcome, audits it on the transaction's connection and notes its events.
     * Call after the transition's row was inserted (the failure count includes it).
     */
    void stored(Connection c, AuditLog audit, AgentRecord agent, TelemetryEvent e, String component, Instant receivedAt)
            throws SQLException {
        if (!OUTCOMES.contains(e.status())) {
            return;
        }
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("component", component);
        after.put("version", e.currentVersion());
        after.put("target_version", e.targetVersion());
        after.put("error_code", e.errorCode());
        after.put("run_id", e.runId());
        audit.record(c, "agent:" + agent.id(), "agent.update." + e.status(), "agent:" + agent.id(), agent.fleet(),
                null, after);
        Map<String, Object> data = data(agent, e);
        data.put("component", component);
        events.add(new ServerEvent(ServerEvent.AGENT_OUTCOME, e.reportedAt(), agent.fleet(), data));
        if (("failed".equals(e.status()) || "rolled_back".equals(e.status())) && e.targetVersion() != null) {
            long failed = failures(c, agent.fleet(), component, e.targetVersion(), receivedAt);
            if (milestone(failed)) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("component", component);
                d.put("version", e.targetVersion());
                d.put("failed", failed);
                putPresent(d, "error_code", e.errorCode());
                events.add(new ServerEvent(ServerEvent.RELEASE_FAILED, receivedAt, agent.fleet(), d));
            }
        }
    }

    /** The events to publish once the transaction committed, in the order they happened. */
    List<ServerEvent> events() {
        return List.copyOf(events);
    }

    /** 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, …: the counts worth telling. */
    static boolean milestone(long n) {
        if (n == 1 || n == 5) {
            return true;
        }
        for (long decade = 10; decade > 0 && decade <= n; decade *= 10) {
            if (n == decade || n == decade * 25 / 10 || n == decade * 5) {
                return true;
            }
        }
        return false;
    }

    /** Failed and rolled-back outcomes of one release in one fleet received in the last 24 hours (the outcome index). */
    private static long failures(Connection c, String fleet, String component, String version, Instant now)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY"
                + " WHERE STATUS IN ('failed', 'rolled_back') AND RECEIVED_AT >= ? AND COMPONENT = ?"
                + " AND TARGET_VERSION = ? AND FLEET_ID = ?")) {
            ps.setTimestamp(1, Timestamp.from(now.minus(FAILURE_WINDOW)));
            ps.setString(2, component);
            ps.setString(3, version);
            ps.setString(4, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static Map<String, Object> data(AgentRecord agent, TelemetryEvent e) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("agent_id", agent.id());
        d.put("hostname", agent.hostname());
        d.put("status", e.status());
        d.put("current_version", e.currentVersion() != null ? e.currentVersion() : agent.currentVersion());
        putPresent(d, "target_version", e.targetVersion());
        putPresent(d, "error_code", e.errorCode());
        d.put("run_id", e.runId());
        return d;
    }

    /** Event data holds no nulls ({@link ServerEvent} copies it): an absent member is left out. */
    private static void putPresent(Map<String, Object> d, String name, Object value) {
        if (value != null) {
            d.put(name, value);
        }
    }
}
