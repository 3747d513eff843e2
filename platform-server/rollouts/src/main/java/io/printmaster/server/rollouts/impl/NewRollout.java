package io.printmaster.server.rollouts.impl;

import java.util.List;
import java.util.Map;

/**
 * A rollout about to be created, already validated.
 *
 * @param origin            {@link Rollout#ADMIN} or {@link Rollout#POLICY}
 * @param requireApproval   starts in {@code awaiting_approval} when true, else {@code running}
 * @param policyStamp       for a policy rollout, the policy it comes from; else null
 * @param targetedByFleet   the agents it targets in each fleet now
 * @param canaryAgentFleets the named canary agents with their fleets (written at creation, wave 0)
 */
record NewRollout(String component, String version, String origin, List<String> fleets, Plan plan,
                  boolean requireApproval, String policyStamp, Map<String, Integer> targetedByFleet,
                  Map<String, String> canaryAgentFleets, String createdBy) {

    NewRollout {
        fleets = List.copyOf(fleets);
        targetedByFleet = Map.copyOf(targetedByFleet);
        canaryAgentFleets = new java.util.LinkedHashMap<>(canaryAgentFleets);
    }

    int targeted() {
        return targetedByFleet.values().stream().mapToInt(Integer::intValue).sum();
    }
}
