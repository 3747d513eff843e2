package io.printmaster.server.rollouts.impl;

import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Rollouts in the database: creation (with the claim on its fleets that keeps one active rollout per component per
 * fleet, whichever process creates it), reads, and the evaluation that moves them on ({@link RolloutProgress}).
 */
@Component(service = RolloutStore.class)
public class RolloutStore {
    static final String ID_PREFIX = "rol_";
    private static final String DUPLICATE_KEY = "23505";

    private final Database database;
    private final RolloutClock clock;
    private final RolloutTransitions transitions;
    private final RolloutProgress progress;
    private final RolloutEvents events;
    private final SecureRandom random = new SecureRandom();
    /** Where rollout state changes are announced to every replica ({@link RolloutTransitions#STATE_TOPIC}). */
    @Reference
    volatile ClusterSignals signals;

    @Activate
    public RolloutStore(@Reference Database database, @Reference AuditLog audit, @Reference RolloutClock clock)
            throws Exception {
        this.database = database;
        this.clock = clock;
        this.transitions = new RolloutTransitions(audit, () -> signals);
        this.events = new RolloutEvents(this);
        this.progress = new RolloutProgress(transitions, events);
        RolloutsSchema.ensure(database);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setServerEvents(ServerEvents bus) {
        events.bind(bus);
    }

    void unsetServerEvents(ServerEvents bus) {
        events.unbind(bus);
    }

    @Deactivate
    void deactivate() {
        events.close();
    }

    /** Where changes to rollouts are announced (after they commit) to the server's events. */
    RolloutEvents events() {
        return events;
    }

    Instant now() {
        return clock.now();
    }

    RolloutTransitions transitions() {
        return transitions;
    }

    RolloutProgress progress() {
        return progress;
    }

    Database database() {
        return database;
    }

    /**
     * Creates a rollout; one of policy origin may supersede {@code supersedes} (an active automatic rollout of the
     * same fleet) in the same transaction.
     *
     * @return the rollout as stored; empty when {@code supersedes} was moved meanwhile (another process acted)
     * @throws RolloutConflict when another active rollout of the component holds one of the fleets
     */
    Optional<Rollout> create(NewRollout spec, Rollout supersedes) throws SQLException, RolloutConflict {
        Instant now = clock.now();
        String id = ID_PREFIX + HexFormat.of().formatHex(bytes(10));
        boolean running = !spec.requireApproval();
        Rollout r = new Rollout(id, 0, spec.component(), spec.version(), spec.origin(),
                running ? Rollout.RUNNING : Rollout.AWAITING_APPROVAL, spec.plan(), 0, spec.targeted(), 0,
                spec.policyStamp(), null, null, null, false, now, spec.createdBy(), running ? now : null,
                running ? spec.createdBy() : null, now, null, spec.fleets());
        List<Integer> sizes = spec.plan().waveSizes(spec.targeted());
        Conflict conflict = new Conflict();
        Optional<Rollout> created;
        try {
            created = database.inRetryingTransaction(c -> insert(c, spec, supersedes, r, sizes, conflict, now));
        } catch (ConflictRollback e) {
            // another process claimed a fleet between the check and the insert: the key decided; name the winner
            for (String fleet : spec.fleets()) {
                Optional<Rollout> holder = activeFor(spec.component(), fleet);
                if (holder.isPresent()) {
                    throw new RolloutConflict(holder.get().id(), fleet);
                }
            }
            created = Optional.empty();
        }
        if (conflict.rolloutId != null) {
            throw new RolloutConflict(conflict.rolloutId, conflict.fleet);
        }
        created.ifPresent(c -> events.touched(c.id()));
        if (supersedes != null) {
            events.touched(supersedes.id());
        }
        return created;
    }

    /** The creation's transaction: supersede, check the fleets' claims, insert, audit, start. */
    private Optional<Rollout> insert(Connection c, NewRollout spec, Rollout supersedes, Rollout r, List<Integer> sizes,
                                     Conflict conflict, Instant now) throws SQLException {
        if (supersedes != null) {
            String reason = "superseded by " + r.id() + " (" + spec.version() + ")";
            if (!transitions.move(c, supersedes, List.of(Rollout.AWAITING_APPROVAL, Rollout.RUNNING, Rollout.PAUSED),
                    Rollout.ABORTED, RolloutTransitions.SYSTEM, "rollout.superseded", now,
                    Map.of("end_reason", reason), "END_REASON = ?, SUPERSEDED = TRUE", reason)) {
                return Optional.empty();
            }
        }
        for (String fleet : spec.fleets()) {
            Optional<Rollout> holder = RolloutRows.activeFor(c, spec.component(), fleet);
            if (holder.isPresent()) {
                conflict.set(holder.get().id(), fleet);
                return Optional.empty();
            }
        }
        try {
            RolloutWrites.insert(c, r, spec.targetedByFleet(), sizes, spec.canaryAgentFleets());
        } catch (SQLException e) {
            if (!DUPLICATE_KEY.equals(e.getSQLState())) {
                throw e;
            }
            throw new ConflictRollback();
        }
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("state", r.state());
        after.put("origin", r.origin());
        after.put("plan", spec.plan());
        after.put("targeted", spec.targeted());
        transitions.record(c, r, spec.createdBy(), "rollout.create", null, after);
        if (Rollout.RUNNING.equals(r.state())) {
            RolloutProgress.start(c, r.id(), now);
            progress.evaluate(c, r.id(), now);
        }
        return RolloutRows.find(c, r.id());
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    Optional<Rollout> find(String id) throws SQLException {
        return database.read(c -> RolloutRows.find(c, id));
    }

    Optional<Rollout> activeFor(String component, String fleet) throws SQLException {
        return database.read(c -> RolloutRows.activeFor(c, component, fleet));
    }

    List<String> endStates(String component, String fleet, String version) throws SQLException {
        return database.read(c -> RolloutRows.endStates(c, component, fleet, version));
    }

    /** Runs {@link RolloutProgress#evaluate} in its own transaction. */
    void evaluate(String id) throws SQLException {
        Instant now = clock.now();
        database.inRetryingTransaction(c -> {
            RolloutWrites.lock(c, id);
            progress.evaluate(c, id, now);
            return null;
        });
    }

    /** A page of rollouts, newest first (see {@link RolloutRows#page}). */
    List<Rollout> page(String fleet, String state, long beforeSeq, int limit) throws SQLException {
        return database.read(c -> RolloutRows.page(c, fleet, state, beforeSeq, limit));
    }

    /** The rollout's rows counted by wave and state. */
    List<Object[]> counts(String id) throws SQLException {
        return database.read(c -> RolloutRows.countsByWaveAndState(c, id));
    }

    List<RolloutRows.WaveRow> waves(String id) throws SQLException {
        return database.read(c -> RolloutRows.waves(c, id));
    }

    /**
     * Runs work in one transaction (the gate's and the actions' own), again when it lost a lock conflict to a
     * concurrent check-in: the work must have no effect outside its connection.
     */
    <T> T inTransaction(Database.SqlWork<T> work) throws SQLException {
        return database.inRetryingTransaction(work);
    }

    /** Who held a fleet when creation lost the race. */
    private static final class Conflict {
        String rolloutId;
        String fleet;

        void set(String rolloutId, String fleet) {
            this.rolloutId = rolloutId;
            this.fleet = fleet;
        }
    }

    /** Rolls the creation's transaction back after a lost race on the fleet's claim. */
    private static final class ConflictRollback extends SQLException {
        private static final long serialVersionUID = 1L;
    }
}
