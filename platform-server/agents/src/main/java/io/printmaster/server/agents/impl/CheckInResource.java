package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.CheckInRequest;
import io.printmaster.core.wire.PluginVersion;
import io.printmaster.server.agents.api.GateDecision;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.UpdateGate;
import io.printmaster.server.signing.api.SigningKeys;
import java.time.Instant;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code POST /api/v1/agents/update/manifest}: an agent checks in with its credential. The server records when and
 * what it reported ({@code last_seen_at}, version, platform, arch, hostname, {@code next_check_at}) and answers with
 * {@link CheckInAnswers}, plus the agent's pending {@code commands}, which this check-in delivers. The vendor
 * {@code plugins} it reports are not stored: they only select the {@code plugin_updates} of the answer. The
 * {@code trust_statements} are those newer than the {@code trust_version} it reports (docs/manifests.md). A staged
 * rollout's slot is taken (or the offer held back, with {@code retry_after_seconds}) in the transaction that records
 * the check-in ({@link UpdateGate#admit}).
 */
@Component(service = RouteProvider.class)
public class CheckInResource implements RouteProvider {
    private final AgentStore agents;
    private final CheckInAnswers answers;
    private final AgentCommandStore commands;
    private final SigningKeys keys;
    private final UpdateGate gate;

    @Activate
    public CheckInResource(@Reference AgentStore agents, @Reference CheckInAnswers answers, @Reference SigningKeys keys,
                           @Reference UpdateGate gate, @Reference AgentCommandStore commands) {
        this.agents = agents;
        this.commands = commands;
        this.answers = answers;
        this.keys = keys;
        this.gate = gate;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/agents/update/manifest", Scopes.AGENT, this::checkIn));
    }

    ApiResponse checkIn(ApiRequest req) throws Exception {
        String agentId = AgentAuthenticator.agentId(req.requireCaller());
        CheckInRequest body = req.body(CheckInRequest.class);
        AgentStore.AgentFacts facts = AgentFactsValidator.validate(body.hostname(), body.platform(), body.arch(),
                body.currentVersion());
        Instant nextCheckAt = body.nextCheckAt() == null ? null
                : TelemetryValidator.instant(body.nextCheckAt(), "next_check_at");
        List<PluginVersion> plugins = AgentFactsValidator.plugins(body.plugins());
        List<io.printmaster.core.wire.TrustStatement> trust = AgentTrustStatements.newerThan(keys, body.trustVersion());
        // The answer is worked out first: once the check-in commits, its commands count as delivered, so nothing
        // that may fail (the catalog, the policy) runs after that.
        AgentRecord known = agents.find(agentId).orElseThrow(CheckInResource::unknownAgent);
        String runId = body.runId() == null ? null : TelemetryValidator.runId(body.runId());
        // only an update run can be a forced one: it checks in with its run id after the command arrived
        boolean forced = runId != null && commands.forceDeliveredWithin(agentId, GateRequest.FORCED_WINDOW);
        CheckInAnswers.Prepared prepared = answers.answer(known.reporting(facts), plugins, runId, forced);
        // the rollout slot is taken in the transaction that records the check-in and delivers its commands
        AgentStore.CheckedIn<GateDecision> checkedIn = agents.checkIn(agentId, facts, nextCheckAt,
                        prepared.answer().policy(), c -> gate.admit(c, prepared.request(), prepared.proposed()))
                .orElseThrow(CheckInResource::unknownAgent);
        CheckInAnswer answer = prepared.admitted(checkedIn.decided());
        return ApiResponse.ok(answer.withCommands(
                checkedIn.commands().stream().map(AgentCommandStore.AgentCommand::forAgent).toList())
                .withTrustStatements(trust));
    }

    private static ApiException unknownAgent() {
        return ApiException.unauthorized("the agent credential is unknown or revoked; enroll again");
    }
}
