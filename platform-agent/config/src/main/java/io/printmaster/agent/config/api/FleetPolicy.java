package io.printmaster.agent.config.api;

import io.printmaster.core.policy.UpdatePolicy;
import java.time.Instant;
import java.util.Objects;

/**
 * The policy the server gave this agent's fleet.
 *
 * @param policy the fleet's policy as the server sent it
 * @param receivedAt when the agent received it
 */
public record FleetPolicy(UpdatePolicy policy, Instant receivedAt) {
    public FleetPolicy {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }
}
