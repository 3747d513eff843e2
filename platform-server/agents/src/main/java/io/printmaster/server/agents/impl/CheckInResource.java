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
 *
 * <p>Fast path: a check-in that delivers no command, needs no admission by the gate (no slot can be taken), has no
 * update run ({@code run_id}) and reports the version already stored is answered from this replica's caches
 * ({@link CheckInCaches}) and recorded written-behind ({@link CheckInWriteBehind}, at most
 * {@link CheckInWriteBehind#FLUSH_MILLIS} ms later). Every other check-in is recorded in one transaction as before.
 * An agent that sends {@code known} etags equal to the answer's gets {@code "unchanged"} instead of the policy or
 * the offer ({@link CheckInAnswer#forKnown}).
 */
@Component(service = RouteProvider.class)
public class CheckInResource implements RouteProvider {
    private final AgentStore agents;
    private final CheckInAnswers answers;
    private final AgentCommandStore commands;
    private final SigningKeys keys;
    private final UpdateGate gate;
    private final CheckInCaches caches;

    @Activate
    public CheckInResource(@Reference AgentStore agents, @Reference CheckInAnswers answers, @Reference SigningKeys keys,
                           @Reference UpdateGate gate, @Reference AgentCommandStore commands,
                           @Reference CheckInCaches caches) {
        this.agents = agents;
        this.caches = caches;
        this.commands = commands;
        this.answers = answers;
        this.keys = keys;
        this.gate = gate;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/agents/update/manifest", Scopes.AGENT, this::checkIn)
                .doc("Check in: report the agent and get its policy, update offer and commands")
                .accepts(CheckInRequest.class).returns(CheckInAnswer.class));
    }

    ApiResponse checkIn(ApiRequest req) throws Exception {
        String agentId = AgentAuthenticator.agentId(req.requireCaller());
        CheckInRequest body = req.body(CheckInRequest.class);
        AgentStore.AgentFacts facts = AgentFactsValidator.validate(body.hostname(), body.platform(), body.arch(),
                body.currentVersion());
        Instant nextCheckAt = body.nextCheckAt() == null ? null
                : TelemetryValidator.instant(body.nextCheckAt(), "next_check_at");
        List<PluginVersion> plugins = AgentFactsValidator.plugins(body.plugins());
        long heldTrust = body.trustVersion() == null ? 0 : body.trustVersion();
        if (heldTrust < 0) {
            throw ApiException.invalid("trust_version", "must be 0 or more, got " + heldTrust);
        }
        List<io.printmaster.core.wire.TrustStatement> trust = caches.trust.get(heldTrust,
                v -> keys.trustStatements(v).stream().map(AgentTrustStatements::wire).toList());
        // The answer is worked out first: once the check-in commits, its commands count as delivered, so nothing
        // that may fail (the catalog, the policy) runs after that.
        AgentRecord known = caches.agents.get(agentId, agents::find)
                .filter(a -> a.revokedAt() == null).orElseThrow(CheckInResource::unknownAgent);
        String runId = body.runId() == null ? null : TelemetryValidator.runId(body.runId());
        // only an update run can be a forced one: it checks in with its run id after the command arrived
        boolean forced = runId != null && commands.forceDeliveredWithin(agentId, GateRequest.FORCED_WINDOW);
        CheckInAnswers.Prepared prepared = answers.answer(known.reporting(facts), plugins, runId, forced);
        CheckInAnswer answer;
        List<io.printmaster.core.wire.AgentCommand> delivered;
        if (runId == null && !prepared.needsAdmission() && java.util.Objects.equals(facts.currentVersion(), known.currentVersion())
                && !caches.mayHavePendingCommands(agentId)) {
            // nothing to deliver, no slot to take, no slot to end (the version did not change): written behind
            agents.recordSeen(agentId, facts, nextCheckAt, prepared.answer().policy());
            answer = prepared.admitted(prepared.proposed());
            delivered = List.of();
        } else {
            // the rollout slot is taken in the transaction that records the check-in and delivers its commands
            AgentStore.CheckedIn<GateDecision> checkedIn;
            try {
                checkedIn = agents.checkIn(agentId, facts, nextCheckAt, prepared.answer().policy(),
                        c -> gate.admit(c, prepared.request(), prepared.proposed()))
                        .orElseThrow(CheckInResource::unknownAgent);
            } finally {
                // the stored version and the pending commands changed (or may have): read again next time
                caches.agents.invalidate(agentId);
                caches.pendingCommands.invalidate(agentId);
            }
            answer = prepared.admitted(checkedIn.decided());
            delivered = checkedIn.commands().stream().map(AgentCommandStore.AgentCommand::forAgent).toList();
        }
        return ApiResponse.ok(answer.withCommands(delivered).withTrustStatements(trust).forKnown(body.known()));
    }

    private static ApiException unknownAgent() {
        return ApiException.unauthorized("the agent credential is unknown or revoked; enroll again");
    }
}
