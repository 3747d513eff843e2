package io.printmaster.server.agents.impl;

import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.FleetDirectory;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * What the server answers an agent's check-in: who it is, its fleet's effective policy and whether an update is
 * offered. Kept apart from the route so the update offer (best version the pin allows, signed manifest, download
 * URL, pending commands) can grow here without touching authentication or the check-in record.
 */
@Component(service = CheckInAnswers.class)
public class CheckInAnswers {
    private final FleetDirectory fleets;

    @Activate
    public CheckInAnswers(@Reference FleetDirectory fleets) {
        this.fleets = fleets;
    }

    /**
     * The answer for an agent that has just checked in (its record already holds what it reported).
     *
     * @return {@code agent_id, fleet_id, update_available, policy, policy_source}, in that order; callers may add
     */
    Map<String, Object> answer(AgentRecord agent) throws SQLException {
        EffectivePolicy effective = fleets.effectivePolicy(agent.fleet());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agent_id", agent.id());
        out.put("fleet_id", agent.fleet());
        out.put("update_available", false);
        out.put("policy", effective.policy());
        out.put("policy_source", effective.source());
        return out;
    }
}
