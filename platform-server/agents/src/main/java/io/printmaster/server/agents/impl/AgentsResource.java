package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/agents}: list (keyset-paged, sorted, filtered: {@link AgentQuery}), read (with its pending commands) and revoke enrolled agents; each carries its update
 * summary (status, target version, last error code and result, next check). A caller restricted to some fleets sees only their
 * agents; any other agent answers 404 exactly as if it did not exist.
 */
@Component(service = RouteProvider.class)
public class AgentsResource implements RouteProvider {
    private final AgentStore agents;
    private final AgentCommandStore commands;

    @Activate
    public AgentsResource(@Reference AgentStore agents, @Reference AgentCommandStore commands) {
        this.agents = agents;
        this.commands = commands;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/agents", Scopes.AGENTS_READ, this::list),
                Route.get("/api/v1/agents/{id}", Scopes.AGENTS_READ, this::read),
                Route.delete("/api/v1/agents/{id}", Scopes.AGENTS_WRITE, this::revoke));
    }

    private ApiResponse list(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        AgentQuery.Page page = agents.page(AgentQuery.of(req, caller.fleets()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agents", page.agents());
        out.put("next_cursor", page.nextCursor());
        return ApiResponse.ok(out);
    }

    private ApiResponse read(ApiRequest req) throws Exception {
        AgentRecord agent = visible(agents, req);
        return ApiResponse.ok(agent.withPendingCommands(commands.pending(agent.id()).stream()
                .map(AgentCommandStore.AgentCommand::forAdmin).toList()));
    }

    private ApiResponse revoke(ApiRequest req) throws Exception {
        AgentRecord agent = visible(agents, req);
        if (!agents.revoke(agent.id(), req.requireCaller().name())) {
            throw ApiException.notFound("agent");
        }
        return ApiResponse.noContent();
    }

    /** The path's agent when the caller may see it; 404 otherwise, exactly as for an agent that does not exist. */
    static AgentRecord visible(AgentStore agents, ApiRequest req) throws Exception {
        AgentRecord agent = agents.find(req.pathParam("id")).orElseThrow(() -> ApiException.notFound("agent"));
        if (!req.requireCaller().canSeeFleet(agent.fleet())) {
            throw ApiException.notFound("agent");
        }
        return agent;
    }
}
