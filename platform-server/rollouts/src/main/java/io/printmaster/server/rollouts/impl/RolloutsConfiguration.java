package io.printmaster.server.rollouts.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration PID {@value RolloutSettings#PID}, file {@code etc/io.printmaster.server.rollouts.cfg}. The keys are
 * {@code slot_timeout_seconds}, {@code hold_retry_seconds}, {@code sweep_seconds} (a double underscore in a method
 * name is one underscore in the key, by the Declarative Services naming rules).
 */
@ObjectClassDefinition(name = "PrintMaster rollouts",
        description = "How the server enforces staged rollouts: slot timeouts, how soon held agents ask again, how "
                + "often the sweep runs.")
@interface RolloutsConfiguration {

    @AttributeDefinition(name = "Slot timeout (seconds)",
            description = "An agent that took a rollout slot and reports no end of its run within this time frees "
                    + "the slot and counts as failed (error code SLOT_TIMEOUT). At least 60.")
    long slot__timeout__seconds() default RolloutSettings.DEFAULT_SLOT_TIMEOUT_SECONDS;

    @AttributeDefinition(name = "Hold retry (seconds)",
            description = "When a rollout holds an agent back (no free slot, waiting for approval, paused), the "
                    + "check-in answer's retry_after_seconds before the rollout's jitter is added. 1 to 3600.")
    long hold__retry__seconds() default RolloutSettings.DEFAULT_HOLD_RETRY_SECONDS;

    @AttributeDefinition(name = "Sweep interval (seconds)",
            description = "How often the server evaluates slot timeouts, wave openings, completion and due "
                    + "automatic rollouts without agent traffic. 1 to 3600.")
    long sweep__seconds() default RolloutSettings.DEFAULT_SWEEP_SECONDS;
}
