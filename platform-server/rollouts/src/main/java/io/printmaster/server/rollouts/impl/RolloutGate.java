package io.printmaster.server.rollouts.impl;

import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.server.agents.api.GateDecision;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.RunTransition;
import io.printmaster.server.agents.api.UpdateGate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The check-in gate of staged rollouts ({@link UpdateGate}). {@link #decide} reads (and may create a due automatic
 * rollout); {@link #admit} runs in the check-in's transaction: it reads the rollout's state there (an abort stops
 * offers at once), places the agent in a wave and takes its slot with conditional updates, so several server
 * processes on one database never exceed {@code max_concurrent}. A check-in without {@code run_id} never takes a
 * slot: it is told to come back (within the jitter) with its update run.
 */
@Component(service = UpdateGate.class, configurationPid = RolloutSettings.PID)
public class RolloutGate implements UpdateGate {
    private final RolloutStore store;
    private final AutomaticRollouts automatic;
    private final RolloutSettings settings;
    private final RolloutAdmission admission;
    private final GateCache cache;

    @Activate
    public RolloutGate(@Reference RolloutStore store, @Reference AutomaticRollouts automatic,
                       @Reference GateCache cache, RolloutsConfiguration configuration) {
        this(store, automatic, RolloutSettings.of(configuration), cache);
    }

    RolloutGate(RolloutStore store, AutomaticRollouts automatic, RolloutSettings settings) {
        this(store, automatic, settings, new GateCache(store.database(), false));
    }

    RolloutGate(RolloutStore store, AutomaticRollouts automatic, RolloutSettings settings, GateCache cache) {
        this.cache = cache;
        this.store = store;
        this.automatic = automatic;
        this.settings = settings;
        this.admission = new RolloutAdmission(store, settings);
    }

    @Override
    public GateDecision decide(GateRequest request) throws SQLException {
        String fleet = request.agent().fleet();
        Rollout r = cache.activeFor(request.component(), fleet).orElse(null);
        String pick = request.policyVersion();
        if (pick != null && (r == null || automatic.supersedes(r, pick, fleet))) {
            if (r == null) {
                List<String> ends = cache.endStates(request.component(), fleet, pick);
                if (!ends.isEmpty()) {
                    // the newest end decides: completed → offered freely; aborted / rolled back → withdrawn
                    return Rollout.COMPLETED.equals(ends.get(0)) ? GateDecision.offer(pick) : GateDecision.none();
                }
            }
            r = automatic.ensure(fleet, request.component(), pick, r).orElse(null);
        }
        return r == null ? GateDecision.none() : forRollout(r, request);
    }

    private GateDecision forRollout(Rollout r, GateRequest request) throws SQLException {
        AgentSnapshot agent = request.agent();
        Optional<RolloutRows.AgentRow> row = store.database().read(c -> RolloutRows.agentRow(c, r.id(), agent.id()));
        String rowState = row.map(RolloutRows.AgentRow::state).orElse(null);
        if (Rollout.ROLLING_BACK.equals(r.state())) {
            if (row.isEmpty() || row.get().fromVersion() == null
                    || !request.availableVersions().contains(row.get().fromVersion())) {
                return GateDecision.none();
            }
            if (AgentRowState.REVERTING.equals(rowState)) {
                return GateDecision.rollback(row.get().fromVersion(), r.id());
            }
            if (!AgentRowState.SUCCEEDED.equals(rowState) || !r.version().equals(agent.currentVersion())) {
                return GateDecision.none();
            }
            List<RolloutRows.WaveRow> waves = cache.waves(r.id());
            if (!waves.get(row.get().wave()).rollbackOpen() && rollbackWaveDue(r, waves, store.now())) {
                store.evaluate(r.id()); // a wave's rollback is due: opened here rather than at the next sweep
                cache.dropWaves(r.id());
                waves = cache.waves(r.id());
            }
            return waves.get(row.get().wave()).rollbackOpen() ? GateDecision.rollback(row.get().fromVersion(), r.id())
                    : GateDecision.hold(r.id(), waitSeconds(r, waves));
        }
        if (AgentRowState.IN_PROGRESS.equals(rowState)) {
            // its slot is kept while paused: it finishes its run; unless the policy no longer moves it to this
            // version (an automatic rollout follows the policy): then its run learns it here and cancels
            return !r.automatic() || targets(r, request) ? GateDecision.offer(r.version(), r.id()) : GateDecision.none();
        }
        if (request.forced() && RolloutAdmission.forcedMayStart(r, rowState, row.isPresent() || targets(r, request))) {
            // "Update now" for this agent: its wave and a pause do not hold it back (the slot cap still does)
            return GateDecision.offer(r.version(), r.id());
        }
        boolean candidate = row.isPresent() ? AgentRowState.ASSIGNED.equals(rowState) : targets(r, request);
        if (!candidate) {
            return GateDecision.none();
        }
        if (!Rollout.RUNNING.equals(r.state())) {
            return GateDecision.hold(r.id(), holdSeconds(r));
        }
        List<RolloutRows.WaveRow> waves = cache.waves(r.id());
        if (dueWave(r, waves, store.now())) {
            store.evaluate(r.id()); // a wave is due to open: opened here rather than at the next sweep
            cache.dropWaves(r.id());
            waves = cache.waves(r.id());
        }
        if (row.isPresent() && request.runId() == null && waves.get(row.get().wave()).open()) {
            // placed in an open wave, without an update run: admission would only say "come back with your run"
            // (RolloutAdmission.admitForward), so that is the answer, without the check-in's transaction
            return GateDecision.hold(r.id(), jitter(r));
        }
        boolean placeable = row.isPresent() ? waves.get(row.get().wave()).open()
                : RolloutAdmission.placeable(waves, lateJoiner(r, agent));
        return placeable ? GateDecision.offer(r.version(), r.id()) : GateDecision.hold(r.id(), waitSeconds(r, waves));
    }

    @Override
    public GateDecision admit(Connection c, GateRequest request, GateDecision proposed) throws SQLException {
        admission.recordReportedVersion(c, request.agent());
        if (!proposed.offers() || proposed.rolloutId() == null) {
            return proposed;
        }
        // locked before it is read: the state seen here is the one the slot is taken under (an abort stops at once)
        Optional<Rollout> r = RolloutWrites.lock(c, proposed.rolloutId())
                ? RolloutRows.find(c, proposed.rolloutId()) : Optional.empty();
        if (r.isEmpty()) {
            return GateDecision.none();
        }
        store.events().touched(r.get().id()); // a slot taken changes its counts
        RolloutAdmission.Outcome outcome = proposed.kind() == GateDecision.Kind.ROLLBACK
                ? admission.admitRollback(c, r.get(), request)
                : admission.admitForward(c, r.get(), request, lateJoiner(r.get(), request.agent()));
        return switch (outcome) {
            case ADMITTED -> proposed;
            case COME_WITH_RUN -> GateDecision.hold(r.get().id(), jitter(r.get()));
            case NO_SLOT -> GateDecision.hold(r.get().id(), holdSeconds(r.get()));
            case WAVE_CLOSED -> GateDecision.hold(r.get().id(), waitSeconds(r.get(), RolloutRows.waves(c, r.get().id())));
            case NOT_OFFERED -> GateDecision.none();
        };
    }

    @Override
    public void runTransition(Connection c, String agentId, RunTransition transition) throws SQLException {
        admission.runTransition(c, agentId, transition);
    }

    /** Whether the agent is one the rollout targets (see docs/admin-guide.md, Rollouts). */
    private static boolean targets(Rollout r, GateRequest request) {
        if (r.automatic()) {
            return r.version().equals(request.policyVersion());
        }
        var current = FleetTargets.parse(request.agent().currentVersion());
        var version = FleetTargets.parse(r.version());
        return current.isPresent() && version.isPresent() && current.get().compareTo(version.get()) < 0
                && request.availableVersions().contains(r.version());
    }

    /** Enrolled after the rollout was planned: joins its last wave. */
    static boolean lateJoiner(Rollout r, AgentSnapshot agent) {
        return agent.enrolledAt() != null && agent.enrolledAt().isAfter(r.createdAt());
    }

    /** Whether a closed wave's predecessor reached its threshold and the delay passed (it is due to open). */
    private static boolean dueWave(Rollout r, List<RolloutRows.WaveRow> waves, Instant now) {
        for (int i = 1; i < waves.size(); i++) {
            if (!waves.get(i).open() && WaveOpening.due(RolloutProgress.nextMayOpenAt(r, waves.get(i - 1)), now)) {
                return true;
            }
        }
        RolloutRows.WaveRow last = waves.get(waves.size() - 1);
        return last.open() && last.reachedAt() == null && last.succeeded() >= last.needed();
    }

    /** Whether the rollback's first closed wave may open now (its predecessor's rollback reached and the delay passed). */
    private static boolean rollbackWaveDue(Rollout r, List<RolloutRows.WaveRow> waves, Instant now) {
        for (int i = 1; i < waves.size(); i++) {
            if (!waves.get(i).rollbackOpen()) {
                RolloutRows.WaveRow previous = waves.get(i - 1);
                return WaveOpening.due(WaveOpening.nextMayOpenAt(previous.rollbackOpen(),
                        previous.rollbackReachedAt(), false, r.plan().delayBetweenWavesSeconds()), now);
            }
        }
        return false;
    }

    /**
     * Until the next wave (of the rollout, or of its rollback while rolling back) may open: the delay still to run
     * when its predecessor reached its threshold, else the hold interval.
     */
    private long waitSeconds(Rollout r, List<RolloutRows.WaveRow> waves) {
        Instant now = store.now();
        boolean rollback = Rollout.ROLLING_BACK.equals(r.state());
        for (int i = 1; i < waves.size(); i++) {
            RolloutRows.WaveRow previous = waves.get(i - 1);
            boolean closed = rollback ? !waves.get(i).rollbackOpen() : !waves.get(i).open();
            if (closed) {
                Instant allows = rollback
                        ? WaveOpening.nextMayOpenAt(previous.rollbackOpen(), previous.rollbackReachedAt(), false,
                                r.plan().delayBetweenWavesSeconds())
                        : RolloutProgress.nextMayOpenAt(r, previous);
                long left = WaveOpening.secondsUntil(allows, now);
                if (left > 0) {
                    return left + jitter(r);
                }
                break;
            }
        }
        return holdSeconds(r);
    }

    private long holdSeconds(Rollout r) {
        return settings.holdRetrySeconds() + jitter(r);
    }

    /** A uniform 0..jitter_seconds, so a wave opening is not a thundering herd. */
    private static long jitter(Rollout r) {
        int j = r.plan().jitterSeconds();
        return j <= 0 ? 0 : ThreadLocalRandom.current().nextLong(j + 1L);
    }
}
