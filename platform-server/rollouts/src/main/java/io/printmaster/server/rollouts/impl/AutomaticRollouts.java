package io.printmaster.server.rollouts.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.ReleaseCatalog;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Rollouts the server creates from a fleet's policy: when the policy moves agents of the fleet to a version V and
 * the fleet has no rollout of V, one is made from {@code rollout_control} (waiting for approval when the policy's
 * {@code require_approval} is set). An active automatic rollout is superseded by one of a higher version, or of any
 * other version once the fleet's policy changed; an admin's rollout is never superseded. Versions whose rollout was
 * aborted or rolled back in the fleet are not rolled out automatically again.
 */
@Component(service = AutomaticRollouts.class)
public class AutomaticRollouts {
    static final String CREATED_BY = "policy";

    private final RolloutStore store;
    private final FleetDirectory fleets;
    private final FleetTargets targets;

    @Activate
    public AutomaticRollouts(@Reference RolloutStore store, @Reference FleetDirectory fleets,
                             @Reference AgentDirectory agents, @Reference ReleaseCatalog catalog) {
        this.store = store;
        this.fleets = fleets;
        this.targets = new FleetTargets(agents, catalog);
    }

    /** The fleet's policy as a stamp: a rollout made from it is superseded once the stamp differs. */
    static String stamp(EffectivePolicy policy) {
        return policy.source() + "@" + policy.updatedAt();
    }

    /** Whether a policy pick of {@code pick} replaces the active rollout {@code active}. */
    boolean supersedes(Rollout active, String pick, String fleet) throws SQLException {
        if (!active.automatic() || Rollout.ROLLING_BACK.equals(active.state()) || pick.equals(active.version())) {
            return false;
        }
        Optional<SemanticVersion> p = FleetTargets.parse(pick);
        Optional<SemanticVersion> v = FleetTargets.parse(active.version());
        if (p.isPresent() && v.isPresent() && p.get().compareTo(v.get()) > 0) {
            return true;
        }
        return !stamp(fleets.effectivePolicy(fleet)).equals(active.policyStamp());
    }

    /**
     * Makes sure the policy's rollout of {@code pick} exists for the fleet (creating or superseding as due).
     *
     * @param active the fleet's active rollout of the component, or null
     * @return the fleet's active rollout afterwards (empty when none: the version is withdrawn or already done)
     */
    Optional<Rollout> ensure(String fleet, String component, String pick, Rollout active) throws SQLException {
        if (active != null && !supersedes(active, pick, fleet)) {
            return Optional.of(active);
        }
        if (!store.endStates(component, fleet, pick).isEmpty()) {
            return Optional.ofNullable(active); // completed (offered freely) or withdrawn: nothing to create
        }
        Optional<SemanticVersion> version = FleetTargets.parse(pick);
        if (version.isEmpty()) {
            return Optional.ofNullable(active);
        }
        EffectivePolicy policy = fleets.effectivePolicy(fleet);
        // at least the agent that asked: counted from the stored versions, which its check-in has not updated yet
        int targeted = Math.max(1, targets.selecting(fleet, component, policy.policy(), version.get()));
        Plan plan = plan(policy.policy().rolloutControl(), targeted);
        NewRollout spec = new NewRollout(component, pick, Rollout.POLICY, List.of(fleet), plan,
                policy.policy().approvalRequired(), stamp(policy), Map.of(fleet, targeted), Map.of(), CREATED_BY);
        try {
            Optional<Rollout> created = store.create(spec, active);
            return created.isPresent() ? created : store.activeFor(component, fleet);
        } catch (RolloutConflict e) {
            return store.activeFor(component, fleet); // another check-in or process made it first
        }
    }

    /**
     * The sweep's part: the fleet's highest policy pick gets its rollout even without agent traffic (so an approval
     * request appears as soon as a release is cached).
     */
    void sweepFleet(String fleet, String component) throws SQLException {
        EffectivePolicy policy = fleets.effectivePolicy(fleet);
        if (!policy.policy().updatesEnabled() || policy.policy().rolloutControl().emergencyAbort()) {
            return;
        }
        TreeMap<SemanticVersion, Integer> picks = targets.picks(fleet, component, policy.policy());
        if (picks.isEmpty()) {
            return;
        }
        Optional<Rollout> active = store.activeFor(component, fleet);
        String highest = picks.lastKey().toString();
        if (active.isEmpty() || supersedes(active.get(), highest, fleet)) {
            ensure(fleet, component, highest, active.orElse(null));
        }
    }

    /**
     * The plan of an automatic rollout: not staggered → one wave of everyone; staggered → waves of
     * {@code batch_size} (at most {@value Plan#MAX_WAVES}, the last taking everyone left), {@code delay_between_waves}
     * apart; {@code max_concurrent} slots, {@code jitter_seconds}; success threshold
     * {@value Plan#DEFAULT_SUCCESS_PERCENT} %, failure threshold {@value Plan#DEFAULT_FAILURE_PERCENT} %.
     */
    static Plan plan(RolloutControl control, int targeted) {
        List<Plan.Wave> waves = new ArrayList<>();
        if (!control.staggered()) {
            waves.add(new Plan.Wave(100, null));
        } else {
            long count = Math.max(1, Math.min(Plan.MAX_WAVES, Plan.ceilDiv(targeted, control.batchSize())));
            for (int i = 0; i < count; i++) {
                waves.add(new Plan.Wave(null, control.batchSize()));
            }
        }
        return new Plan(null, waves, control.delayBetweenWaves(), control.maxConcurrent(), control.jitterSeconds(),
                Plan.DEFAULT_SUCCESS_PERCENT, Plan.DEFAULT_FAILURE_PERCENT);
    }
}
