package io.printmaster.agent.config.api;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Supplies the fleet policy the server gave this agent. Implemented by the bundle that talks to the server (the
 * update worker); {@link AgentConfiguration} asks it whenever settings are read, and uses the fleet policy when
 * {@code mode = inherit}. Without a provider, or while it has none, the local policy applies
 * ({@link PolicySource#LOCAL_FALLBACK}).
 */
@ConsumerType
public interface FleetPolicyProvider {
    /**
     * The fleet policy known now: the last one received while the server answers; empty before the first
     * answer or when the server is unreachable and the local schedule should take over. Must be cheap: called
     * on every read of the settings.
     */
    Optional<FleetPolicy> fleetPolicy();
}
