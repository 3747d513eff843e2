package io.printmaster.server.rollouts.impl;

import java.time.Instant;

/**
 * The one rule that opens waves, for a rollout's waves and for its rollback's alike: wave k opens once wave k-1 is
 * open, reached the success threshold, and {@code delay_between_waves_seconds} passed since that moment. In a
 * rollback, a wave with nobody to take back holds nothing up: its successor opens with it.
 */
final class WaveOpening {
    private WaveOpening() {
    }

    /**
     * When the wave after this one may open, or null while it may not (not open, or not at its threshold yet).
     *
     * @param empty the wave had nobody to move: no delay after it
     */
    static Instant nextMayOpenAt(boolean open, Instant reachedAt, boolean empty, int delaySeconds) {
        if (!open || reachedAt == null) {
            return null;
        }
        return empty ? reachedAt : reachedAt.plusSeconds(delaySeconds);
    }

    /** Whether a closed wave whose predecessor allows {@code predecessorAllowsAt} may open at {@code now}. */
    static boolean due(Instant predecessorAllowsAt, Instant now) {
        return predecessorAllowsAt != null && !now.isBefore(predecessorAllowsAt);
    }

    /** Seconds from {@code now} until {@code at} (0 when unknown or passed). */
    static long secondsUntil(Instant at, Instant now) {
        if (at == null || !now.isBefore(at)) {
            return 0;
        }
        java.time.Duration left = java.time.Duration.between(now, at);
        return left.toSeconds() + (left.toNanosPart() > 0 ? 1 : 0);
    }
}
