package io.printmaster.server.rollouts.impl;

/**
 * The configuration of PID {@value #PID}, bounded to sane ranges.
 *
 * @param slotTimeoutSeconds how long a slot is held without a terminal status before it counts as failed
 * @param holdRetrySeconds   the base of {@code retry_after_seconds} for a held agent
 * @param sweepSeconds       how often the sweep runs
 */
record RolloutSettings(long slotTimeoutSeconds, long holdRetrySeconds, long sweepSeconds) {
    static final String PID = "io.printmaster.server.rollouts";
    static final long DEFAULT_SLOT_TIMEOUT_SECONDS = 7200;
    static final long DEFAULT_HOLD_RETRY_SECONDS = 60;
    static final long DEFAULT_SWEEP_SECONDS = 30;

    RolloutSettings {
        slotTimeoutSeconds = Math.max(60, slotTimeoutSeconds);
        holdRetrySeconds = Math.max(1, Math.min(3600, holdRetrySeconds));
        sweepSeconds = Math.max(1, Math.min(3600, sweepSeconds));
    }

    static RolloutSettings defaults() {
        return new RolloutSettings(DEFAULT_SLOT_TIMEOUT_SECONDS, DEFAULT_HOLD_RETRY_SECONDS, DEFAULT_SWEEP_SECONDS);
    }

    static RolloutSettings of(RolloutsConfiguration c) {
        return new RolloutSettings(c.slot__timeout__seconds(), c.hold__retry__seconds(), c.sweep__seconds());
    }
}
