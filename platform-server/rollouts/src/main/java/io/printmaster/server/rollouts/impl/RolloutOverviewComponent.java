package io.printmaster.server.rollouts.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.agents.api.AgentGroup;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.rollouts.api.RolloutOverview;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link RolloutOverview} on the rollouts' own store: the counts are those of the rollouts API ({@link RolloutViews}),
 * the fleet's target the pick of {@link FleetTargets}, the same selection automatic rollouts make.
 */
@Component(service = RolloutOverview.class)
public class RolloutOverviewComponent implements RolloutOverview {
    private final RolloutStore store;
    private final FleetDirectory fleets;
    private final AgentDirectory agents;
    private final FleetTargets targets;

    @Activate
    public RolloutOverviewComponent(@Reference RolloutStore store, @Reference FleetDirectory fleets,
                                    @Reference AgentDirectory agents, @Reference ReleaseCatalog catalog) {
        this.store = store;
        this.fleets = fleets;
        this.agents = agents;
        this.targets = new FleetTargets(agents, catalog);
    }

    @Override
    public List<ActiveRollout> active(Optional<Set<String>> onlyFleets) throws SQLException {
        List<String> ids = store.database().read(c -> RolloutRows.idsInStates(c, List.copyOf(Rollout.ACTIVE)));
        List<Rollout> rollouts = new ArrayList<>();
        for (String id : ids) {
            store.find(id).filter(r -> r.active())
                    .filter(r -> onlyFleets.map(f -> r.fleets().stream().anyMatch(f::contains)).orElse(true))
                    .ifPresent(rollouts::add);
        }
        rollouts.sort(Comparator.comparingLong(Rollout::seq).reversed());
        List<ActiveRollout> out = new ArrayList<>();
        for (Rollout r : rollouts) {
            Map<String, Object> view = RolloutViews.view(r, store.counts(r.id()), store.waves(r.id()), Map.of());
            Map<String, Integer> counts = new LinkedHashMap<>();
            ((Map<?, ?>) view.get("counts")).forEach((k, v) -> counts.put((String) k, (Integer) v));
            out.add(new ActiveRollout(r.id(), r.state(), r.component(), r.version(), r.fleets(), counts));
        }
        return out;
    }

    @Override
    public Optional<String> targetVersion(String fleet, String component) throws SQLException {
        UpdatePolicy policy = fleets.effectivePolicy(fleet).policy();
        boolean offering = policy.updatesEnabled() && !policy.rolloutControl().emergencyAbort();
        if (offering) {
            TreeMap<SemanticVersion, Integer> picks = targets.picks(fleet, component, policy);
            if (!picks.isEmpty()) {
                return Optional.of(picks.lastKey().toString());
            }
        }
        Optional<SemanticVersion> newest = Optional.empty();
        for (AgentGroup g : agents.groups(fleet)) {
            Optional<SemanticVersion> v = FleetTargets.parse(g.currentVersion());
            if (v.isPresent() && (newest.isEmpty() || v.get().compareTo(newest.get()) > 0)) {
                newest = v;
            }
        }
        return newest.map(SemanticVersion::toString);
    }
}
