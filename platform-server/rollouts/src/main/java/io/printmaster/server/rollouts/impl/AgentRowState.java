package io.printmaster.server.rollouts.impl;

import java.util.Map;

/** The states of an agent's row in a rollout ({@code PM_ROLLOUT_AGENT.STATE}). */
final class AgentRowState {
    /** In a wave, no slot yet. */
    static final String ASSIGNED = "assigned";
    /** Holds a slot: updating. */
    static final String IN_PROGRESS = "in_progress";
    static final String SUCCEEDED = "succeeded";
    static final String FAILED = "failed";
    /** The agent's own health gate rolled its update back. */
    static final String ROLLED_BACK = "rolled_back";
    static final String CANCELLED = "cancelled";
    /** Rollback of the rollout: holds a slot, going back to its previous version. */
    static final String REVERTING = "reverting";
    static final String REVERTED = "reverted";
    static final String REVERT_FAILED = "revert_failed";

    /** Where a terminal run status moves an agent that holds a forward slot ({@code skipped}: back in its wave). */
    static final Map<String, String> AFTER_FORWARD_RUN = Map.of("succeeded", SUCCEEDED, "failed", FAILED,
            "rolled_back", ROLLED_BACK, "cancelled", CANCELLED, "skipped", ASSIGNED);
    /** Where a terminal run status moves an agent that holds a rollback slot ({@code skipped}: eligible again). */
    static final Map<String, String> AFTER_REVERT_RUN = Map.of("succeeded", REVERTED, "failed", REVERT_FAILED,
            "rolled_back", REVERT_FAILED, "cancelled", REVERT_FAILED, "skipped", SUCCEEDED);

    private AgentRowState() {
    }
}
