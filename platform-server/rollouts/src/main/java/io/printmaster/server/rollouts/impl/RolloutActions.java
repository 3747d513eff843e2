package io.printmaster.server.rollouts.impl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * What an administrator does to a rollout: approve, pause, resume, abort, roll back. Each is one transaction with its
 * audit entry; the state is checked by the conditional update itself, so a concurrent action or sweep cannot be
 * overwritten.
 */
@Component(service = RolloutActions.class)
public class RolloutActions {
    static final List<String> ACTIONS = List.of("approve", "pause", "resume", "abort", "rollback");

    private final RolloutStore store;

    @Activate
    public RolloutActions(@Reference RolloutStore store) {
        this.store = store;
    }

    /**
     * Carries out {@code action} (one of {@link #ACTIONS}) on the rollout.
     *
     * @return the rollout afterwards
     * @throws InvalidState    when the action is not allowed in its state
     * @throws RolloutConflict when a rollback needs a fleet another active rollout holds now
     */
    Rollout act(Rollout r, String action, String actor) throws SQLException, InvalidState, RolloutConflict {
        Instant now = store.now();
        RolloutTransitions t = store.transitions();
        String[] conflict = new String[2];
        boolean done = store.inTransaction(c -> RolloutWrites.lock(c, r.id()) && switch (action) {
            case "approve" -> {
                boolean moved = t.move(c, r, List.of(Rollout.AWAITING_APPROVAL), Rollout.RUNNING, actor,
                        "rollout.approve", now, Map.of("approved_by", actor), "APPROVED_AT = ?, APPROVED_BY = ?", now,
                        actor);
                if (moved) {
                    RolloutProgress.start(c, r.id(), now);
                    store.progress().evaluate(c, r.id(), now);
                }
                yield moved;
            }
            case "pause" -> {
                String reason = "paused by " + actor;
                yield t.move(c, r, List.of(Rollout.RUNNING), Rollout.PAUSED, actor, "rollout.pause", now,
                        Map.of("paused_reason", reason), "PAUSED_REASON = ?, FAILING_AGENTS = NULL", reason);
            }
            case "resume" -> {
                boolean moved = t.move(c, r, List.of(Rollout.PAUSED), Rollout.RUNNING, actor, "rollout.resume", now,
                        Map.of(), "PAUSED_REASON = NULL, FAILING_AGENTS = NULL");
                if (moved) {
                    allowFreshFailures(c, r.id());
                    store.progress().evaluate(c, r.id(), now);
                }
                yield moved;
            }
            case "abort" -> {
                String reason = "aborted by " + actor;
                yield t.move(c, r, List.of(Rollout.AWAITING_APPROVAL, Rollout.RUNNING, Rollout.PAUSED,
                        Rollout.ROLLING_BACK), Rollout.ABORTED, actor, "rollout.abort", now,
                        Map.of("end_reason", reason), "END_REASON = ?", reason);
            }
            case "rollback" -> {
                boolean ended = Rollout.COMPLETED.equals(r.state()) || Rollout.ABORTED.equals(r.state());
                if (ended) {
                    for (String fleet : r.fleets()) {
                        var holder = RolloutRows.activeFor(c, r.component(), fleet);
                        if (holder.isPresent()) {
                            conflict[0] = holder.get().id();
                            conflict[1] = fleet;
                            yield false;
                        }
                    }
                }
                boolean moved = t.move(c, r, List.of(Rollout.RUNNING, Rollout.PAUSED, Rollout.COMPLETED,
                        Rollout.ABORTED), Rollout.ROLLING_BACK, actor, "rollout.rollback", now, Map.of(),
                        "ENDED_AT = NULL, PAUSED_REASON = NULL, FAILING_AGENTS = NULL");
                if (moved && ended) {
                    for (String fleet : r.fleets()) {
                        RolloutWrites.claimActive(c, r.component(), fleet, r.id());
                    }
                }
                if (moved) {
                    retryFailedReverts(c, r.id(), now);
                }
                if (moved) {
                    store.progress().evaluate(c, r.id(), now); // nobody to take back: rolled back at once
                }
                yield moved;
            }
            default -> throw new IllegalArgumentException("unknown action " + action);
        });
        store.events().touched(r.id());
        if (conflict[0] != null) {
            throw new RolloutConflict(conflict[0], conflict[1]);
        }
        if (!done) {
            String state = store.find(r.id()).map(Rollout::state).orElse(r.state());
            throw new InvalidState(action, state);
        }
        return store.find(r.id()).orElseThrow();
    }

    /**
     * A rollback started again (after an abort) goes on where it stopped, and tries once more the agents that did
     * not make it back: otherwise their wave could never reach its threshold and the waves after it never open.
     */
    private static void retryFailedReverts(Connection c, String id, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_AGENT SET STATE = 'succeeded',"
                + " ERROR_CODE = NULL, UPDATED_AT = ? WHERE ROLLOUT_ID = ? AND STATE = 'revert_failed'")) {
            ps.setTimestamp(1, RolloutRows.timestamp(now));
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    /** After a resume, a wave pauses again only after as many new failures as its limit allows. */
    private static void allowFreshFailures(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_ROLLOUT_WAVE SET FAIL_LIMIT = FAILED + FAIL_LIMIT"
                + " WHERE ROLLOUT_ID = ? AND STATE = 'open' AND FAILED >= FAIL_LIMIT")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }
}
