package io.printmaster.server.rollouts.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.ReleaseCatalog;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/rollouts}: create, list, read, and approve / pause / resume / abort / rollback. A caller restricted
 * to some fleets sees and acts only on rollouts whose fleets are all its own; any other answers 404 exactly as if it
 * did not exist.
 */
@Component(service = RouteProvider.class)
public class RolloutsResource implements RouteProvider {
    static final int MAX_LIMIT = 200;
    static final int DEFAULT_LIMIT = 50;

    private final RolloutStore store;
    private final RolloutActions actions;
    private final PlanParser parser;
    private final RolloutDetails details;
    private final AgentDirectory agents;

    @Activate
    public RolloutsResource(@Reference RolloutStore store, @Reference RolloutActions actions,
                            @Reference FleetDirectory fleets, @Reference AgentDirectory agents,
                            @Reference ReleaseCatalog catalog) {
        this.store = store;
        this.actions = actions;
        this.parser = new PlanParser(fleets, agents, new FleetTargets(agents, catalog));
        this.details = new RolloutDetails(catalog, agents);
        this.agents = agents;
    }

    @Override
    public List<Route> routes() {
        List<Route> routes = new ArrayList<>(List.of(
                Route.get("/api/v1/rollouts", Scopes.ROLLOUTS_READ, this::list)
                        .doc("List rollouts, newest first")
                        .query("fleet", "only rollouts of this fleet").query("state", "only rollouts in this state")
                        .query("limit", "at most this many").query("before", "the `next_before` of the previous page")
                        .returns(Map.class),
                Route.post("/api/v1/rollouts", Scopes.ROLLOUTS_WRITE, this::create)
                        .doc("Create a staged rollout").accepts(Map.class).returns(201, Map.class),
                Route.get("/api/v1/rollouts/{id}", Scopes.ROLLOUTS_READ, this::get)
                        .doc("Read a rollout with its waves").returns(Map.class)));
        for (String action : RolloutActions.ACTIONS) {
            routes.add(Route.post("/api/v1/rollouts/{id}/" + action, Scopes.ROLLOUTS_WRITE, req -> act(req, action))
                    .doc(Character.toUpperCase(action.charAt(0)) + action.substring(1) + " the rollout").returns(Map.class));
        }
        return routes;
    }

    ApiResponse create(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        NewRollout spec = parser.parse(req.body(JsonNode.class), caller);
        Rollout created;
        try {
            created = store.create(spec, null).orElseThrow(() -> new IllegalStateException("not created"));
        } catch (RolloutConflict e) {
            throw ApiException.conflict("fleets", "rollout " + e.rolloutId() + " of " + spec.component()
                    + " is already active for fleet '" + e.fleet() + "'; end it (abort) before creating another");
        }
        return ApiResponse.created(Map.of("rollout", view(created, true)))
                .header("Location", "/api/v1/rollouts/" + created.id());
    }

    ApiResponse list(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        String fleet = req.query("fleet").filter(f -> !f.isBlank()).orElse(null);
        String state = req.query("state").filter(s -> !s.isBlank()).orElse(null);
        if (state != null && !Rollout.STATES.contains(state)) {
            throw ApiException.invalid("state", "state must be one of " + String.join(", ", Rollout.STATES));
        }
        int limit = number(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        long before = req.query("before").isPresent() ? number(req, "before", 0, 1, Integer.MAX_VALUE) : Long.MAX_VALUE;
        if (fleet != null && !caller.canSeeFleet(fleet)) {
            return ApiResponse.ok(Map.of("rollouts", List.of()));
        }
        List<Rollout> page = store.page(fleet, state, before, limit);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Rollout r : page) {
            if (visible(caller, r)) {
                out.add(view(r, false));
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("rollouts", out);
        body.put("next", page.size() == limit ? String.valueOf(page.get(page.size() - 1).seq()) : null);
        return ApiResponse.ok(body);
    }

    ApiResponse get(ApiRequest req) throws Exception {
        return ApiResponse.ok(Map.of("rollout", view(visibleRollout(req), true)));
    }

    ApiResponse act(ApiRequest req, String action) throws Exception {
        Rollout r = visibleRollout(req);
        try {
            Rollout after = actions.act(r, action, req.requireCaller().name());
            return ApiResponse.ok(Map.of("rollout", view(after, true)));
        } catch (InvalidState e) {
            throw new ApiException(409, "invalid_state", e.getMessage(), "state");
        } catch (RolloutConflict e) {
            throw ApiException.conflict("fleets", "rollout " + e.rolloutId() + " is active for fleet '" + e.fleet()
                    + "'; end it before rolling this one back");
        }
    }

    private Rollout visibleRollout(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        return store.find(req.pathParam("id")).filter(r -> visible(caller, r))
                .orElseThrow(() -> ApiException.notFound("rollout"));
    }

    /** A caller restricted to some fleets sees a rollout only when all its fleets are the caller's. */
    static boolean visible(Caller caller, Rollout r) {
        return r.fleets().stream().allMatch(caller::canSeeFleet);
    }

    private Map<String, Object> view(Rollout r, boolean full) throws SQLException {
        Map<String, Object> extra = full ? details.extra(r, store) : Map.of();
        Map<String, Object> v = RolloutViews.view(r, store.counts(r.id()), store.waves(r.id()), extra);
        v.put("failing_agents", withHostnames(v.get("failing_agents")));
        return v;
    }

    /**
     * The failing agents with the hostname each reports now (null once revoked): looked up here rather than when
     * the rollout paused, since the pause happens inside the failing agent's own telemetry transaction.
     */
    private List<Map<String, Object>> withHostnames(Object failing) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!(failing instanceof List<?> list)) {
            return out;
        }
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> entry)) {
                continue;
            }
            String agentId = String.valueOf(entry.get("agent_id"));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", agentId);
            m.put("hostname", agents.agent(agentId).map(a -> a.hostname()).orElse(null));
            m.put("status", entry.get("status"));
            m.put("error_code", entry.get("error_code"));
            out.add(m);
        }
        return out;
    }

    private static int number(ApiRequest req, String name, int fallback, int min, int max) throws ApiException {
        String text = req.query(name).orElse(null);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid(name, name + " must be a whole number from " + min + " to " + max);
    }
}
