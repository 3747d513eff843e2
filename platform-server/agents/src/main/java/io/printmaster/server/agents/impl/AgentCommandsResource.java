package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
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
 * {@code POST /api/v1/agents/{id}/commands}: "Check now", "Update now", "Cancel" for one agent, delivered with its
 * next check-in; an agent holding a long poll ({@link UpdateWaitResource}) is woken to check in at once.
 */
@Component(service = RouteProvider.class)
public class AgentCommandsResource implements RouteProvider {
    private final AgentStore agents;
    private final AgentCommandStore commands;

    @Activate
    public AgentCommandsResource(@Reference AgentStore agents, @Reference AgentCommandStore commands) {
        this.agents = agents;
        this.commands = commands;
    }

    /** The body: {@code check_update}, {@code force_update} or {@code cancel_update}. */
    public record IssueCommand(String command) {
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/agents/{id}/commands", Scopes.AGENTS_WRITE, this::issue)
                .doc("Send a command to an agent", "Delivered with the agent's next check-in; a connected agent "
                        + "(waiting on GET /api/v1/agents/update/wait) is told at once and checks in.")
                .accepts(IssueCommand.class).returns(202, Map.class));
    }

    ApiResponse issue(ApiRequest req) throws Exception {
        AgentRecord agent = AgentsResource.visible(agents, req);
        IssueCommand body = req.body(IssueCommand.class);
        AgentCommandStore.AgentCommand issued = commands.issue(agent.id(), body.command(), req.requireCaller().name())
                .orElseThrow(() -> ApiException.notFound("agent"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", issued.id());
        out.put("command", issued.command());
        out.put("created_at", issued.createdAt());
        out.put("state", issued.state());
        return ApiResponse.status(202, out);
    }
}
