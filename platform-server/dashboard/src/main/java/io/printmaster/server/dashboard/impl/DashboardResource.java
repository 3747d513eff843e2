package io.printmaster.server.dashboard.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.rollouts.api.RolloutOverview;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code GET /api/v1/dashboard?fleet=&days=}: the fleet's numbers in one answer ({@link DashboardView}): the agents
 * by version, status, flag and check-in ({@link AgentStatistics}), the outcomes of the releases over the last
 * {@code days} days, the active rollouts and each fleet's current and target versions ({@link RolloutOverview}).
 * A caller restricted to some fleets gets the numbers of its fleets only; a fleet it may not see, or one that does
 * not exist, is 404.
 */
@Component(service = RouteProvider.class)
public class DashboardResource implements RouteProvider {
    static final int DEFAULT_DAYS = 30;
    static final int MAX_DAYS = 90;
    /** The component whose versions the fleets' rows show: the agent itself. */
    static final String COMPONENT = "agent";

    private final AgentStatistics statistics;
    private final RolloutOverview rollouts;
    private final FleetDirectory fleets;
    private final Clock clock;
    /** The test hook the agents and rollouts bundles read too: a simulated fleet's time, when registered. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(printmaster.clock=virtual)")
    private volatile Clock virtual;

    @Activate
    public DashboardResource(@Reference AgentStatistics statistics, @Reference RolloutOverview rollouts,
                             @Reference FleetDirectory fleets) {
        this(statistics, rollouts, fleets, Clock.systemUTC());
    }

    DashboardResource(AgentStatistics statistics, RolloutOverview rollouts, FleetDirectory fleets, Clock clock) {
        this.statistics = statistics;
        this.rollouts = rollouts;
        this.fleets = fleets;
        this.clock = clock;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/dashboard", Scopes.AGENTS_READ, this::dashboard));
    }

    ApiResponse dashboard(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        int days = days(req);
        Optional<String> fleet = req.query("fleet").map(String::strip).filter(f -> !f.isEmpty());
        List<Fleet> shown = new ArrayList<>();
        Optional<Set<String>> scope;
        if (fleet.isPresent()) {
            Fleet one = fleets.find(fleet.get()).filter(f -> caller.canSeeFleet(f.id()))
                    .orElseThrow(() -> ApiException.notFound("fleet"));
            shown.add(one);
            scope = Optional.of(Set.of(one.id()));
        } else {
            for (Fleet f : fleets.list()) {
                if (caller.canSeeFleet(f.id())) {
                    shown.add(f);
                }
            }
            scope = caller.fleets();
        }
        Clock virtualNow = virtual;
        Instant now = (virtualNow != null ? virtualNow : clock).instant();
        AgentStatistics.AgentCounts counts = statistics.agents(scope, now);
        List<AgentStatistics.ReleaseOutcomes> releases = statistics.releases(scope, now.minus(Duration.ofDays(days)));
        List<RolloutOverview.ActiveRollout> active = new ArrayList<>();
        for (RolloutOverview.ActiveRollout r : rollouts.active(scope)) {
            // as the rollouts API shows it: a restricted caller sees a rollout only when all its fleets are its own
            if (r.fleets().stream().allMatch(caller::canSeeFleet)) {
                active.add(r);
            }
        }
        List<DashboardView.FleetRow> fleetRows = new ArrayList<>();
        for (Fleet f : shown) {
            fleetRows.add(new DashboardView.FleetRow(f.id(), counts.fleets().stream()
                    .filter(v -> v.fleet().equals(f.id())).findFirst().map(AgentStatistics.FleetVersions::current)
                    .orElse(List.of()), rollouts.targetVersion(f.id(), COMPONENT).orElse(null)));
        }
        Map<String, Object> body = DashboardView.render(counts, releases, active, fleetRows);
        return ApiResponse.ok(body);
    }

    private static int days(ApiRequest req) throws ApiException {
        Optional<String> raw = req.query("days");
        if (raw.isEmpty()) {
            return DEFAULT_DAYS;
        }
        try {
            int d = Integer.parseInt(raw.get().strip());
            if (d >= 1 && d <= MAX_DAYS) {
                return d;
            }
        } catch (NumberFormatException e) {
            // answered below, as any other value out of range
        }
        throw ApiException.invalid("days", "days must be a whole number from 1 to " + MAX_DAYS + "; got '"
                + raw.get() + "'");
    }
}
