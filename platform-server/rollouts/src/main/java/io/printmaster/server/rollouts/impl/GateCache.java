package io.printmaster.server.rollouts.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * What the check-in gate reads per fleet, kept on this replica between changes: a fleet's active rollout of a
 * component, the end states of its past rollouts of a version, and a rollout's waves. Dropped by the
 * {@value RolloutTransitions#STATE_TOPIC} signal that every state change and wave opening publishes (on this replica
 * after the commit, on others within the signals' poll). Slots are never decided from here: {@link RolloutGate#admit}
 * reads and locks the rollout in the check-in's transaction.
 *
 * <p>A rollout's wave counters (placed, succeeded) change without a signal; the gate uses cached waves only for
 * what a signal covers (whether a wave is open) and for hints that the transaction checks again, and they are read
 * again after {@link #WAVES_MAX_AGE_NANOS} at the latest.
 */
@Component(service = {GateCache.class, SignalListener.class},
        property = SignalListener.TOPICS + "=" + RolloutTransitions.STATE_TOPIC)
public class GateCache implements SignalListener {
    static final int MAX_FLEETS = 20_000;
    static final long WAVES_MAX_AGE_NANOS = 1_000_000_000L;

    record ActiveKey(String component, String fleet) {
    }

    record EndsKey(String component, String fleet, String version) {
    }

    private record Waves(List<RolloutRows.WaveRow> rows, long readAtNanos) {
    }

    /** The database, not the RolloutStore: a listener must not depend on what publishes signals (a cycle). */
    private final Database database;
    private final SignalledCache<ActiveKey, Optional<Rollout>> active;
    private final SignalledCache<EndsKey, List<String>> ends;
    private final SignalledCache<String, Waves> waves;

    @Activate
    public GateCache(@Reference Database database) {
        this(database, true);
    }

    /** @param keep false: nothing is kept (unit tests of the gate without signals) */
    GateCache(Database database, boolean keep) {
        this.database = database;
        int k = keep ? 1 : 0;
        active = new SignalledCache<>(k * MAX_FLEETS);
        ends = new SignalledCache<>(k * MAX_FLEETS);
        waves = new SignalledCache<>(k * MAX_FLEETS);
    }

    @Override
    public void signalled(Signal signal) {
        // rollout changes are rare next to check-ins: everything is read again (one read per fleet)
        active.invalidateAll();
        ends.invalidateAll();
        waves.invalidateAll();
    }

    Optional<Rollout> activeFor(String component, String fleet) throws SQLException {
        return active.get(new ActiveKey(component, fleet), k -> database.read(c -> RolloutRows.activeFor(c, k.component(), k.fleet())));
    }

    List<String> endStates(String component, String fleet, String version) throws SQLException {
        return ends.get(new EndsKey(component, fleet, version),
                k -> database.read(c -> RolloutRows.endStates(c, k.component(), k.fleet(), k.version())));
    }

    List<RolloutRows.WaveRow> waves(String rolloutId) throws SQLException {
        Waves w = waves.get(rolloutId, id -> new Waves(database.read(c -> RolloutRows.waves(c, id)), System.nanoTime()));
        if (System.nanoTime() - w.readAtNanos() > WAVES_MAX_AGE_NANOS) {
            waves.invalidate(rolloutId);
            w = waves.get(rolloutId, id -> new Waves(database.read(c -> RolloutRows.waves(c, id)), System.nanoTime()));
        }
        return w.rows();
    }

    /** After this replica opened a wave or evaluated the rollout: read its waves again. */
    void dropWaves(String rolloutId) {
        waves.invalidate(rolloutId);
    }
}
