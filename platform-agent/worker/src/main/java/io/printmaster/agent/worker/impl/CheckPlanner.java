package io.printmaster.agent.worker.impl;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.core.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When the worker checks next: the policy's schedule ({@link CheckSchedule}), sooner retries with backoff while
 * the server cannot be reached, or the time the server asked for when a rollout held the agent back
 * ({@code retry_after_seconds}). Used by the worker's loop thread only.
 */
final class CheckPlanner {
    private final CheckSchedule schedule;
    private final Backoff unreachable = Backoff.of(Duration.ofMinutes(1), Duration.ofHours(1), Integer.MAX_VALUE);
    private int serverFailures;
    /** When the server asked the last run to come back; null when it did not. */
    private Instant retryAt;
    /** {@link #retryAt} under the policy's window, computed once per hold (its jitter must not move at every re-plan). */
    private Optional<Instant> heldUntil;

    CheckPlanner() {
        this(new CheckSchedule(ThreadLocalRandom.current()));
    }

    CheckPlanner(CheckSchedule schedule) {
        this.schedule = schedule;
    }

    /** A run ended: a server that could not be asked makes the next check come sooner. */
    void ended(RunResult r) {
        ended(r, Optional.empty());
    }

    /**
     * A run ended: a server that could not be asked makes the next check come sooner, and so does a server that held
     * the agent back and said when to come back ({@code retryAt}).
     */
    void ended(RunResult r, Optional<Instant> retryAt) {
        serverFailures = "SERVER_ERROR".equals(r.errorCode()) ? serverFailures + 1 : 0;
        this.retryAt = retryAt.orElse(null);
        this.heldUntil = null;
    }

    /**
     * The scheduled check that follows a check made {@code now}, by the policy's schedule alone (a retry or a hold
     * the run may still set is not known yet): what a run's check-in reports as {@code next_check_at}. Unlike the
     * rest of this class, safe from any thread.
     */
    static Optional<Instant> afterCheckAt(AgentSettings s, boolean enrolled, Instant now) {
        EffectivePolicy policy = new EffectivePolicy(s.policySource(), s.policy(), s.policySource().wireName());
        if (!policy.scheduledChecks() || !s.configured() && !enrolled) {
            return Optional.empty();
        }
        return ANY_THREAD.next(policy.policy().orElseThrow(), Optional.of(now), now).map(CheckSchedule.NextCheck::at);
    }

    /** {@link java.util.Random} is thread-safe, so this schedule is too. */
    private static final CheckSchedule ANY_THREAD = new CheckSchedule(new java.util.Random());

    /** The next scheduled check under the policy in force; empty when none is scheduled. */
    Optional<Instant> next(AgentSettings s, boolean enrolled, Optional<Instant> lastCheck, Instant now) {
        EffectivePolicy policy = new EffectivePolicy(s.policySource(), s.policy(), s.policySource().wireName());
        if (!policy.scheduledChecks() || !s.configured() && !enrolled) {
            return Optional.empty();
        }
        Optional<CheckSchedule.NextCheck> regular = schedule.next(policy.policy().orElseThrow(), lastCheck, now);
        if (serverFailures > 0) {
            return CheckSchedule.retryWhileUnreachable(unreachable, serverFailures, now, regular);
        }
        if (retryAt != null) {
            if (heldUntil == null) {
                heldUntil = schedule.heldUntil(policy.policy().orElseThrow(), retryAt);
            }
            return CheckSchedule.earlier(heldUntil, regular);
        }
        return regular.map(CheckSchedule.NextCheck::at);
    }
}
