package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.printmaster.core.wire.TelemetryReceipt;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code POST /api/v1/agents/update/telemetry}: an agent reports run-state transitions (one, or a batch it buffered
 * while offline); the agent is the credential's, never a body's. {@code GET /api/v1/agents/{id}/telemetry}: the
 * stored transitions, newest first, paged like the audit log.
 */
@Component(service = RouteProvider.class)
public class TelemetryResource implements RouteProvider {
    static final int DEFAULT_LIMIT = 50;

    private final AgentStore agents;
    private final TelemetryStore telemetry;

    @Activate
    public TelemetryResource(@Reference AgentStore agents, @Reference TelemetryStore telemetry) {
        this.agents = agents;
        this.telemetry = telemetry;
    }

    /** A transition as served; the stored metadata document is embedded as JSON, not as a string. */
    public record TransitionView(long id, String runId, String status, String currentVersion, String targetVersion,
                                 String errorCode, String errorMessage, Instant timestamp, Instant receivedAt,
                                 Long downloadTimeMs, Long sizeBytes, @JsonRawValue String metadata) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/agents/update/telemetry", Scopes.AGENT, this::report)
                        .doc("Report update run transitions", "One transition, or a batch of them as `events`.")
                        .accepts(TelemetryValidator.Body.class).returns(TelemetryReceipt.class),
                Route.get("/api/v1/agents/{id}/telemetry", Scopes.AGENTS_READ, this::list)
                        .doc("List an agent's update transitions, newest first")
                        .query("limit", "at most this many transitions (1-200, default 50)")
                        .query("before", "the `next_before` of the previous page")
                        .returns(JsonTypes.object("agent_id", String.class).and("transitions", JsonTypes.listOf(TransitionView.class))
                                .andNullable("next_before", Long.class)));
    }

    ApiResponse report(ApiRequest req) throws Exception {
        String agentId = AgentAuthenticator.agentId(req.requireCaller());
        TelemetryValidator.Body body = req.body(TelemetryValidator.Body.class);
        List<TelemetryEvent> events = TelemetryValidator.validate(body, agentId, telemetry.now());
        if (!telemetry.record(agentId, events)) {
            throw ApiException.unauthorized("the agent credential is unknown or revoked; enroll again");
        }
        return ApiResponse.ok(Map.of("stored", events.size()));
    }

    ApiResponse list(ApiRequest req) throws Exception {
        AgentRecord agent = AgentsResource.visible(agents, req);
        int limit = longParam(req, "limit", DEFAULT_LIMIT, 1, TelemetryStore.MAX_LIMIT).intValue();
        Optional<Long> before = req.query("before").isPresent()
                ? Optional.of(longParam(req, "before", 0, 1, Long.MAX_VALUE)) : Optional.empty();
        List<TelemetryStore.StoredTransition> rows = telemetry.list(agent.id(), before, limit);
        List<TransitionView> views = rows.stream().map(t -> new TransitionView(t.id(), t.runId(), t.status(),
                t.currentVersion(), t.targetVersion(), t.errorCode(), t.errorMessage(), t.timestamp(), t.receivedAt(),
                t.downloadTimeMs(), t.sizeBytes(), t.metadata())).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agent_id", agent.id());
        out.put("transitions", views);
        out.put("next_before", rows.size() == limit ? rows.get(rows.size() - 1).id() : null);
        return ApiResponse.ok(out);
    }

    private static Long longParam(ApiRequest req, String name, long dflt, long min, long max) throws ApiException {
        Optional<String> raw = req.query(name);
        if (raw.isEmpty()) {
            return dflt;
        }
        try {
            long v = Long.parseLong(raw.get().trim());
            if (v < min || v > max) {
                throw ApiException.invalid(name, name + " must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, name + " must be a whole number");
        }
    }
}
