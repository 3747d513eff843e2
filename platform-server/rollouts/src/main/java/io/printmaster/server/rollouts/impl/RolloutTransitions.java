package io.printmaster.server.rollouts.impl;

import io.printmaster.store.AuditLog;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves a rollout between states with its audit entry in the same transaction. An ending state releases the
 * rollout's claim on its fleets. Actor {@value #SYSTEM} for what the server does on its own.
 */
final class RolloutTransitions {
    static final String SYSTEM = "system";
    private static final Set<String> ENDED = Set.of(Rollout.COMPLETED, Rollout.ABORTED, Rollout.ROLLED_BACK);

    private final AuditLog audit;
    /** Tells every replica of the new state (agents' long polls, cached answers); null in unit tests. */
    private final java.util.function.Supplier<io.printmaster.store.ClusterSignals> signals;

    RolloutTransitions(AuditLog audit) {
        this(audit, () -> null);
    }

    RolloutTransitions(AuditLog audit, java.util.function.Supplier<io.printmaster.store.ClusterSignals> signals) {
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
        io.printmaster.store.ClusterSignals s = signals.get();
        if (s != null) {
            // signal rollout.state per fleet: {"rollout_id","state"} (ids and states need no JSON escaping)
            for (String fleet : r.fleets()) {
                s.publish(c, "rollout.state", fleet, "{\"rollout_id\":\"" + r.id() + "\",\"state\":\"" + to + "\"}");
            }
        }
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
    }
}
