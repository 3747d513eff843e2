package io.printmaster.server.rollouts.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Caller;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.server.fleets.api.FleetDirectory;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the body of {@code POST /api/v1/rollouts} into a {@link NewRollout}; anything wrong is a 400 naming the
 * field ({@code plan.waves[1].percent}). Members left out take documented defaults (docs/api.md).
 */
final class PlanParser {
    static final String COMPONENT = "agent";
    static final int MAX_FLEETS = 100;
    static final int MAX_CANARY_AGENTS = 100;
    static final int DEFAULT_MAX_CONCURRENT = 10;
    private static final Set<String> TOP = Set.of("component", "version", "fleets", "plan", "require_approval");
    private static final Set<String> PLAN = Set.of("canary", "waves", "delay_between_waves_seconds", "max_concurrent",
            "jitter_seconds", "success_threshold_percent", "failure_threshold_percent");

    private final FleetDirectory fleets;
    private final AgentDirectory agents;
    private final FleetTargets targets;

    PlanParser(FleetDirectory fleets, AgentDirectory agents, FleetTargets targets) {
        this.fleets = fleets;
        this.agents = agents;
        this.targets = targets;
    }

    NewRollout parse(JsonNode body, Caller caller) throws ApiException, SQLException {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        unknown(body, TOP, "");
        String component = text(body, "component", "component");
        if (!COMPONENT.equals(component)) {
            throw ApiException.invalid("component", "component must be 'agent' (the only component rolled out in waves)");
        }
        String version = text(body, "version", "version");
        SemanticVersion semver;
        try {
            semver = SemanticVersion.parse(version);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("version", "version must be a semantic version: " + e.getMessage());
        }
        if (!targets.released(component, version)) {
            throw ApiException.invalid("version", "no cached artifact of " + component + " " + version);
        }
        List<String> fleetIds = fleets(body.get("fleets"), caller);
        JsonNode planNode = body.get("plan");
        if (planNode == null || !planNode.isObject()) {
            throw ApiException.invalid("plan", "plan is required: an object with at least waves");
        }
        unknown(planNode, PLAN, "plan.");
        Map<String, String> canaryAgents = new LinkedHashMap<>();
        Plan.Canary canary = canary(planNode.get("canary"), fleetIds, canaryAgents);
        List<Plan.Wave> waves = waves(planNode.get("waves"));
        Plan plan = new Plan(canary, waves,
                integer(planNode, "delay_between_waves_seconds", 0, 0, 604800),
                integer(planNode, "max_concurrent", DEFAULT_MAX_CONCURRENT, 1, 100000),
                integer(planNode, "jitter_seconds", 0, 0, 86400),
                // 0 % would mark every wave reached at once and complete the rollout before any agent was offered it
                integer(planNode, "success_threshold_percent", Plan.DEFAULT_SUCCESS_PERCENT, 1, 100),
                integer(planNode, "failure_threshold_percent", Plan.DEFAULT_FAILURE_PERCENT, 1, 100));
        JsonNode approval = body.get("require_approval");
        if (approval != null && !approval.isNull() && !approval.isBoolean()) {
            throw ApiException.invalid("require_approval", "require_approval must be true or false");
        }
        Map<String, Integer> targeted = new LinkedHashMap<>();
        for (String fleet : fleetIds) {
            targeted.put(fleet, targets.belowVersion(fleet, component, semver));
        }
        return new NewRollout(component, version, Rollout.ADMIN,
                fleetIds, plan, approval != null && approval.asBoolean(), null, targeted, canaryAgents, caller.name());
    }

    private List<String> fleets(JsonNode node, Caller caller) throws ApiException, SQLException {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiException.invalid("fleets", "fleets is required: a non-empty list of fleet ids");
        }
        if (node.size() > MAX_FLEETS) {
            throw ApiException.invalid("fleets", "at most " + MAX_FLEETS + " fleets");
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode f = node.get(i);
            String field = "fleets[" + i + "]";
            // a fleet the caller may not see is answered exactly like one that does not exist
            if (!f.isTextual() || !caller.canSeeFleet(f.asText()) || fleets.find(f.asText()).isEmpty()) {
                throw ApiException.invalid(field, "unknown fleet " + f);
            }
            if (!out.add(f.asText())) {
                throw ApiException.invalid(field, "fleet '" + f.asText() + "' is listed twice");
            }
        }
        return List.copyOf(out);
    }

    private Plan.Canary canary(JsonNode node, List<String> fleetIds, Map<String, String> named)
            throws ApiException, SQLException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject() || node.size() != 1 || !(node.has("agents") || node.has("count"))) {
            throw ApiException.invalid("plan.canary", "canary must be null, {\"agents\":[…]} or {\"count\":N}");
        }
        if (node.has("count")) {
            return new Plan.Canary(null, integer(node, "count", 0, 1, 100000, "plan.canary.count"));
        }
        JsonNode list = node.get("agents");
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_CANARY_AGENTS) {
            throw ApiException.invalid("plan.canary.agents", "agents must list 1 to " + MAX_CANARY_AGENTS + " agent ids");
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "plan.canary.agents[" + i + "]";
            JsonNode a = list.get(i);
            Optional<AgentSnapshot> agent = a.isTextual() ? agents.agent(a.asText()) : Optional.empty();
            if (agent.isEmpty() || !fleetIds.contains(agent.get().fleet())) {
                throw ApiException.invalid(field, "unknown agent " + a + " in the rollout's fleets");
            }
            if (named.put(agent.get().id(), agent.get().fleet()) != null) {
                throw ApiException.invalid(field, "agent " + a + " is listed twice");
            }
            ids.add(agent.get().id());
        }
        return new Plan.Canary(ids, null);
    }

    private static List<Plan.Wave> waves(JsonNode node) throws ApiException {
        if (node == null || !node.isArray() || node.isEmpty() || node.size() > Plan.MAX_WAVES) {
            throw ApiException.invalid("plan.waves", "waves is required: 1 to " + Plan.MAX_WAVES
                    + " waves, each {\"percent\":P} or {\"batch_size\":N}");
        }
        List<Plan.Wave> out = new ArrayList<>();
        int percentSum = 0;
        for (int i = 0; i < node.size(); i++) {
            String field = "plan.waves[" + i + "]";
            JsonNode w = node.get(i);
            if (!w.isObject() || w.size() != 1 || !(w.has("percent") || w.has("batch_size"))) {
                throw ApiException.invalid(field, "each wave is {\"percent\":P} or {\"batch_size\":N}");
            }
            if (w.has("percent")) {
                int p = integer(w, "percent", 0, 1, 100, field + ".percent");
                percentSum += p;
                if (percentSum > 100) {
                    throw ApiException.invalid(field + ".percent", "the waves' percents add up to more than 100");
                }
                out.add(new Plan.Wave(p, null));
            } else {
                out.add(new Plan.Wave(null, integer(w, "batch_size", 0, 1, 1_000_000, field + ".batch_size")));
            }
        }
        return out;
    }

    private static void unknown(JsonNode node, Set<String> known, String prefix) throws ApiException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw ApiException.invalid(prefix + name, "unknown member " + prefix + name);
            }
        }
    }

    private static String text(JsonNode node, String name, String field) throws ApiException {
        JsonNode v = node.get(name);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw ApiException.invalid(field, field + " is required");
        }
        return v.asText();
    }

    private static int integer(JsonNode node, String name, int fallback, int min, int max) throws ApiException {
        return integer(node, name, fallback, min, max, "plan." + name);
    }

    private static int integer(JsonNode node, String name, int fallback, int min, int max, String field)
            throws ApiException {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw ApiException.invalid(field, field + " must be a whole number from " + min + " to " + max);
        }
        return v.asInt();
    }
}
