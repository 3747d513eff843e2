package io.printmaster.agent.worker.impl;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.core.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When the worker checks next: the policy's schedule ({@link CheckSchedule}), or sooner retries with backoff while
 * the server cannot be reached. Used by the worker's loop thread only.
 */
final class CheckPlanner {
    private final CheckSchedule schedule = new CheckSchedule(ThreadLocalRandom.current());
    private final Backoff unreachable = Backoff.of(Duration.ofMinutes(1), Duration.ofHours(1), Integer.MAX_VALUE);
    private int serverFailures;

    /** A run ended: a server that could not be asked makes the next check come sooner. */
    void ended(RunResult r) {
        serverFailures = "SERVER_ERROR".equals(r.errorCode()) ? serverFailures + 1 : 0;
    }

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
        return regular.map(CheckSchedule.NextCheck::at);
    }
}
