package io.printmaster.server.notifications.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One thing that happened, as consoles and webhooks receive it: {@code {"type", "at", "fleet", …data}}.
 *
 * @param type  a dotted name from the constants below (consumers ignore types they do not know)
 * @param at    when it happened
 * @param fleet the fleet it belongs to, or null for a server-wide event (a new release, a sync); a caller restricted
 *              to some fleets receives only the events of those fleets
 * @param data  the event's members (JSON-ready values: strings, numbers, booleans, lists and maps of them); never
 *              a secret; a member whose value is null is left out (absent), as the API's JSON leaves it out
 */
public record ServerEvent(String type, Instant at, String fleet, Map<String, Object> data) {
    /** An agent's update status changed (data: agent_id, hostname, status, current_version, target_version, error_code). */
    public static final String AGENT_STATUS = "agent.status";
    /** An agent's update run ended (data as {@link #AGENT_STATUS}; status one of succeeded, failed, rolled_back, cancelled). */
    public static final String AGENT_OUTCOME = "agent.outcome";
    /** A rollout's state or counts changed (data: rollout_id, component, version, state, counts). */
    public static final String ROLLOUT_PROGRESS = "rollout.progress";
    /** A rollout paused by itself on its failure threshold (data: rollout_id, component, version, reason, failed). */
    public static final String ROLLOUT_PAUSED = "rollout.paused";
    /** A release failed on several agents of a fleet (data: component, version, failed, error_code). */
    public static final String RELEASE_FAILED = "release.failed";
    /** A release sync made progress or ended (data: sync_id, state, cached, rejected). */
    public static final String SYNC_PROGRESS = "sync.progress";
    /** A new release was cached and signed (data: component, version, notes_snippet). */
    public static final String RELEASE_CACHED = "release.cached";

    private static Map<String, Object> withoutNulls(Map<String, Object> data) {
        Map<String, Object> present = new java.util.LinkedHashMap<>();
        data.forEach((k, v) -> {
            if (k != null && v != null) {
                present.put(k, v);
            }
        });
        return java.util.Collections.unmodifiableMap(present);
    }

    public ServerEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(at, "at");
        data = data == null ? Map.of() : withoutNulls(data);
    }
}
