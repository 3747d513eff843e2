package io.printmaster.server.rollouts.impl;

import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterSignals;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Moves a rollout between states with its audit entry in the same transaction. An ending state releases the
 * rollout's claim on its fleets. Actor {@value #SYSTEM} for what the server does on its own.
 */
final class RolloutTransitions {
    static final String SYSTEM = "system";
    private static final Set<String> ENDED = Set.of(Rollout.COMPLETED, Rollout.ABORTED, Rollout.ROLLED_BACK);

    /**
     * Published with every audit entry of a rollout (created, started, paused, resumed, aborted, completed,
     * superseded, a wave opened), once per fleet: scope the fleet id, payload {@code {"rollout_id","state"}}. Caches of
     * the gate's inputs and the push of aborts follow it on every replica.
     */
    static final String STATE_TOPIC = "rollout.state";

    private final AuditLog audit;
    private final Supplier<ClusterSignals> signals;

    RolloutTransitions(AuditLog audit) {
        this(audit, () -> null);
    }

    /** @param signals the signals service, or a supplier of null in unit tests built without OSGi */
    RolloutTransitions(AuditLog audit, Supplier<ClusterSignals> signals) {
        this.audit = audit;
        this.signals = signals;
    }

    /**
     * Moves {@code r} to {@code to} when it is still in one of {@code from}.
     *
     * @param details  extra members of the audit entry's "after" (reason, superseding rollout, …)
     * @param extraSet extra {@code COLUMN = ?} assignments for the update, with their values
     * @return false when another request or process moved it first (nothing recorded)
     */
    boolean move(Connection c, Rollout r, List<String> from, String to, String actor, String action, Instant now,
                 Map<String, Object> details, String extraSet, Object... extraValues) throws SQLException {
        boolean ends = ENDED.contains(to);
        String set = ends ? (extraSet == null ? "ENDED_AT = ?" : extraSet + ", ENDED_AT = ?") : extraSet;
        Object[] values = extraValues;
        if (ends) {
            values = java.util.Arrays.copyOf(extraValues, extraValues.length + 1);
            values[extraValues.length] = now;
        }
        if (!RolloutWrites.moveState(c, r.id(), from, to, now, set, values)) {
            return false;
        }
        if (ends) {
            RolloutWrites.releaseActive(c, r.id());
        }
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("state", to);
        after.putAll(details);
        record(c, r, actor, action, Map.of("state", r.state()), after);
        return true;
    }

    /** An audit entry about {@code r}: its fleet when it has one, else server-wide. */
    void record(Connection c, Rollout r, String actor, String action, Object before, Map<String, Object> after)
            throws SQLException {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("id", r.id());
        described.put("component", r.component());
        described.put("version", r.version());
        described.put("fleets", r.fleets());
        described.putAll(after);
        audit.record(c, actor, action, "rollout:" + r.id(), r.fleets().size() == 1 ? r.fleets().get(0) : null,
                before, described);
        ClusterSignals s = signals.get();
        if (s != null) {
            Object state = after.getOrDefault("state", r.state());
            String payload = "{\"rollout_id\":\"" + r.id() + "\",\"state\":\"" + state + "\"}"; // ids and states are [a-z0-9_-]
            for (String fleet : r.fleets()) {
                s.publish(c, STATE_TOPIC, fleet, payload);
            }
        }
    }
}
