package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/agents}: list, read and revoke enrolled agents. A caller restricted to some fleets sees only their
 * agents; any other agent answers 404 exactly as if it did not exist.
 */
@Component(service = RouteProvider.class)
public class AgentsResource implements RouteProvider {
    private final AgentStore agents;

    @Activate
    public AgentsResource(@Reference AgentStore agents) {
        this.agents = agents;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/agents", Scopes.AGENTS_READ, this::list),
                Route.get("/api/v1/agents/{id}", Scopes.AGENTS_READ, req -> ApiResponse.ok(visible(req))),
                Route.delete("/api/v1/agents/{id}", Scopes.AGENTS_WRITE, this::revoke));
    }

    private ApiResponse list(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        return ApiResponse.ok(Map.of("agents", agents.list(caller.fleets(), req.query("fleet"))));
    }

    private ApiResponse revoke(ApiRequest req) throws Exception {
        AgentRecord agent = visible(req);
        if (!agents.revoke(agent.id(), req.requireCaller().name())) {
            throw ApiException.notFound("agent");
        }
        return ApiResponse.noContent();
    }

    private AgentRecord visible(ApiRequest req) throws Exception {
        AgentRecord agent = agents.find(req.pathParam("id")).orElseThrow(() -> ApiException.notFound("agent"));
        if (!req.requireCaller().canSeeFleet(agent.fleet())) {
            throw ApiException.notFound("agent");
        }
        return agent;
    }
}
