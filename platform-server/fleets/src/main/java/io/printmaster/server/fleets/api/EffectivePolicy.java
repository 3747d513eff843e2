package io.printmaster.server.fleets.api;

import io.printmaster.core.policy.UpdatePolicy;
import java.time.Instant;

/**
 * The policy that applies to a fleet (or the global one), and where it comes from.
 *
 * @param fleetId the fleet, or null for the global policy
 * @param source {@code fleet} (the fleet's own), {@code global} (inherited), or {@code default} (nothing saved yet)
 * @param policy the policy in force
 * @param updatedAt when the applying policy was last saved, or null for the defaults
 * @param updatedBy who saved it, or null for the defaults
 */
public record EffectivePolicy(String fleetId, String source, UpdatePolicy policy, Instant updatedAt, String updatedBy) {
    public static final String SOURCE_FLEET = "fleet";
    public static final String SOURCE_GLOBAL = "global";
    public static final String SOURCE_DEFAULT = "default";
}
