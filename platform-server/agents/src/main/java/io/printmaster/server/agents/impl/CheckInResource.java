package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code POST /api/v1/agents/update/manifest}: an agent checks in with its credential. The server records when and
 * what it reported ({@code last_seen_at}, version, platform, arch, hostname) and answers with {@link CheckInAnswers}.
 */
@Component(service = RouteProvider.class)
public class CheckInResource implements RouteProvider {
    private final AgentStore agents;
    private final CheckInAnswers answers;

    @Activate
    public CheckInResource(@Reference AgentStore agents, @Reference CheckInAnswers answers) {
        this.agents = agents;
        this.answers = answers;
    }

    /** The check-in body, as section C of the contracts fixes it. */
    public record CheckIn(String currentVersion, String platform, String arch, String hostname) {
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/agents/update/manifest", Scopes.AGENT, this::checkIn));
    }

    ApiResponse checkIn(ApiRequest req) throws Exception {
        String agentId = AgentAuthenticator.agentId(req.requireCaller());
        CheckIn body = req.body(CheckIn.class);
        AgentStore.AgentFacts facts = AgentFactsValidator.validate(body.hostname(), body.platform(), body.arch(),
                body.currentVersion());
        AgentRecord agent = agents.checkIn(agentId, facts)
                .orElseThrow(() -> ApiException.unauthorized("the agent credential is unknown or revoked; enroll again"));
        return ApiResponse.ok(answers.answer(agent));
    }
}
