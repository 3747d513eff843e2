package io.printmaster.core.policy;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How fast a fleet is updated: the {@code rollout_control} of an {@link UpdatePolicy}. All fields are required (see
 * {@link UpdatePolicy}); {@link PolicyValidator} checks the ranges.
 *
 * @param staggered         true: update the fleet in waves of {@code batch_size} agents, {@code delay_between_waves}
 *                          apart; false: every agent as soon as its window allows
 * @param maxConcurrent     at most this many agents of the fleet download or apply at the same time (at least 1)
 * @param batchSize         agents per wave when staggered (at least 1)
 * @param delayBetweenWaves seconds between waves, 0 to 604800 (7 days)
 * @param jitterSeconds     each agent waits a random 0 to this many seconds before starting, 0 to 86400 (1 day), so
 *                          a fleet does not hit the server all at once
 * @param emergencyAbort    true: stop the rollout now; no agent starts an update while it is set
 */
public record RolloutControl(
        @JsonProperty(value = "staggered", required = true) boolean staggered,
        @JsonProperty(value = "max_concurrent", required = true) int maxConcurrent,
        @JsonProperty(value = "batch_size", required = true) int batchSize,
        @JsonProperty(value = "delay_between_waves", required = true) int delayBetweenWaves,
        @JsonProperty(value = "jitter_seconds", required = true) int jitterSeconds,
        @JsonProperty(value = "emergency_abort", required = true) boolean emergencyAbort) {

    /** Not staggered; if staggered as is: waves of 50, 30 minutes apart; 10 at a time; up to 5 minutes of jitter. */
    public static RolloutControl defaults() {
        return new RolloutControl(false, 10, 50, 1800, 300, false);
    }
}
