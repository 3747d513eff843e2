package io.printmaster.server.rollouts.impl;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One rollout as stored ({@code PM_ROLLOUT} and its fleets).
 *
 * @param origin       {@link #ADMIN} (created through the API) or {@link #POLICY} (created by the server)
 * @param policyStamp  for a policy rollout, the fleet policy it was made from ({@code source@updated_at}): a change
 *                     supersedes it
 * @param inProgress   slots taken now
 * @param superseded   ended because a newer automatic rollout replaced it (its version is not withdrawn)
 */
record Rollout(String id, long seq, String component, String version, String origin, String state, Plan plan,
               int inProgress, int targeted, int waveCount, String policyStamp, String pausedReason,
               String failingAgents, String endReason, boolean superseded, Instant createdAt, String createdBy,
               Instant approvedAt, String approvedBy, Instant updatedAt, Instant endedAt, List<String> fleets) {

    static final String ADMIN = "admin";
    static final String POLICY = "policy";

    static final String AWAITING_APPROVAL = "awaiting_approval";
    static final String RUNNING = "running";
    static final String PAUSED = "paused";
    static final String COMPLETED = "completed";
    static final String ABORTED = "aborted";
    static final String ROLLING_BACK = "rolling_back";
    static final String ROLLED_BACK = "rolled_back";

    static final List<String> STATES = List.of(AWAITING_APPROVAL, RUNNING, PAUSED, COMPLETED, ABORTED, ROLLING_BACK,
            ROLLED_BACK);
    /** While in one of these, the rollout is the only way its component's updates reach its fleets. */
    static final Set<String> ACTIVE = Set.of(AWAITING_APPROVAL, RUNNING, PAUSED, ROLLING_BACK);

    Rollout {
        fleets = List.copyOf(fleets);
    }

    boolean active() {
        return ACTIVE.contains(state);
    }

    boolean automatic() {
        return POLICY.equals(origin);
    }

    int lastWave() {
        return waveCount - 1;
    }

    Rollout withFleets(List<String> f) {
        return new Rollout(id, seq, component, version, origin, state, plan, inProgress, targeted, waveCount,
                policyStamp, pausedReason, failingAgents, endReason, superseded, createdAt, createdBy, approvedAt,
                approvedBy, updatedAt, endedAt, f);
    }
}
