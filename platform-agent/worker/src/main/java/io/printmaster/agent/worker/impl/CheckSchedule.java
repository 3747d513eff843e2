package io.printmaster.agent.worker.impl;

import io.printmaster.core.policy.MaintenanceWindow;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When the worker checks for updates next, from the policy in force. Thread-safe as long as the injected random
 * generator is; tests inject a seeded or fixed one.
 *
 * <h2>Rules</h2>
 * <ul>
 * <li>{@code update_check_days = 0}: no scheduled checks ({@link #next} is empty). Triggered runs still work.</li>
 * <li>The check is <b>due</b> {@code update_check_days} calendar days after the last check, at the same wall-clock
 * time in the maintenance window's time zone (also when the window is disabled: its zone, by default UTC), so a
 * daily 10:00 check stays at 10:00 across daylight saving changes. A check that is overdue (the agent was off) or
 * has never been made is due now.</li>
 * <li><b>Jitter</b> spreads a fleet's checks: a uniformly random delay, whole seconds, from 0 up to
 * {@link #MAX_JITTER_FRACTION} (10%) of the interval and never more than {@link #MAX_JITTER} (1 hour).</li>
 * <li>Maintenance window enabled and open at the due time: the check is at the due time plus jitter, the jitter also
 * bounded by half the time left in that window, so the run keeps the other half to download and apply.</li>
 * <li>Maintenance window enabled and closed at the due time: the check waits for the <b>next window opening</b>,
 * plus jitter bounded by {@link #MAX_JITTER} and by half the real length of that window (a New York window
 * 02:00–04:00 on the spring-forward day lasts one hour, so at most 30 minutes). It does not wait for the next
 * interval, which could miss the window again and again (the bug of the code this plan came from). The wait's
 * reason is {@link Reason#OUTSIDE_WINDOW}.</li>
 * <li>An enabled window that never opens (no days) schedules no check (fail safe, as {@link MaintenanceWindow}).</li>
 * </ul>
 */
public final class CheckSchedule {

    /** Jitter is at most this share of the check interval. */
    public static final double MAX_JITTER_FRACTION = 0.10;
    /** Jitter is never longer than this. */
    public static final Duration MAX_JITTER = Duration.ofHours(1);

    /** Why the next check is at the time it is. */
    public enum Reason {
        /** The check interval ({@code update_check_days}) plus jitter; the window, if any, is open then. */
        INTERVAL,
        /** The check was due while the maintenance window was closed; it waits for the next opening. */
        OUTSIDE_WINDOW;

        /** The error code a run reports when it waits or stops for this reason; empty for {@link #INTERVAL}. */
        public Optional<String> errorCode() {
            return this == OUTSIDE_WINDOW ? Optional.of("OUTSIDE_WINDOW") : Optional.empty();
        }
    }

    /**
     * The next scheduled check.
     *
     * @param at when to check
     * @param dueAt when the check was due by the interval alone (before the window and jitter)
     * @param reason why {@code at}
     */
    public record NextCheck(Instant at, Instant dueAt, Reason reason) {
        public NextCheck {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(dueAt, "dueAt");
            Objects.requireNonNull(reason, "reason");
        }
    }

    private final RandomGenerator random;

    /** @param random the jitter's source; one {@link RandomGenerator#nextDouble()} per jittered time */
    public CheckSchedule(RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * The next scheduled check under {@code policy}.
     *
     * @param policy the policy in force (valid)
     * @param lastCheck when the server was last asked for an update by a scheduled or triggered check; empty when
     *     never
     * @param now the current time
     * @return empty when no check is scheduled: {@code update_check_days = 0}, or a window that never opens
     */
    public Optional<NextCheck> next(UpdatePolicy policy, Optional<Instant> lastCheck, Instant now) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(lastCheck, "lastCheck");
        Objects.requireNonNull(now, "now");
        if (!policy.updatesEnabled()) {
            return Optional.empty();
        }
        int days = policy.updateCheckDays();
        ZoneId zone = ZoneId.of(policy.maintenanceWindow().timezone());
        Instant due = lastCheck.map(l -> l.atZone(zone).plusDays(days).toInstant()).orElse(now);
        if (due.isBefore(now)) {
            due = now;
        }
        Duration jitterBound = min(MAX_JITTER, Duration.ofSeconds((long) (days * 86_400L * MAX_JITTER_FRACTION)));
        MaintenanceWindow window = new MaintenanceWindow(policy.maintenanceWindow());
        if (!window.enabled()) {
            return Optional.of(new NextCheck(due.plus(jitter(jitterBound)), due, Reason.INTERVAL));
        }
        if (window.isOpen(due)) {
            Duration left = Duration.between(due, window.currentWindowEnd(due).orElseThrow());
            return Optional.of(new NextCheck(due.plus(jitter(min(jitterBound, left.dividedBy(2)))), due,
                    Reason.INTERVAL));
        }
        Optional<Instant> opening = window.nextOpening(due);
        if (opening.isEmpty()) {
            return Optional.empty();
        }
        Duration length = Duration.between(opening.get(), window.currentWindowEnd(opening.get()).orElseThrow());
        Instant at = opening.get().plus(jitter(min(MAX_JITTER, length.dividedBy(2))));
        return Optional.of(new NextCheck(at, due, Reason.OUTSIDE_WINDOW));
    }

    /**
     * When to check next after the server held this agent back ({@code retry_after_seconds}: a rollout's wave is not
     * open or its slots are taken): at {@code retryAt} when that is earlier than the regular check, so a wave that
     * opens is taken up when the server said, not at the next interval. The maintenance window still applies: when it
     * is closed at {@code retryAt}, the check waits for its next opening (plus jitter, as a closed window's check),
     * and never later than the regular check.
     *
     * @param regular the next check of {@link #next}; empty when none is scheduled (the hold is honoured anyway: the
     *     server said when to come back, and the run asks only for what the policy allows)
     * @return the check to make; empty when neither asks for one (a window that never opens)
     */
    public Optional<Instant> afterHold(UpdatePolicy policy, Instant retryAt, Optional<NextCheck> regular) {
        return earlier(heldUntil(policy, retryAt), regular);
    }

    /**
     * The first time at or after {@code retryAt} the policy lets a check run: {@code retryAt} itself, or the next
     * opening of a closed maintenance window plus jitter; empty for a window that never opens. Jittered: compute once
     * per hold.
     */
    public Optional<Instant> heldUntil(UpdatePolicy policy, Instant retryAt) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(retryAt, "retryAt");
        MaintenanceWindow window = new MaintenanceWindow(policy.maintenanceWindow());
        if (!window.enabled() || window.isOpen(retryAt)) {
            return Optional.of(retryAt);
        }
        return window.nextOpening(retryAt).map(opening -> {
            Duration length = Duration.between(opening, window.currentWindowEnd(opening).orElseThrow());
            return opening.plus(jitter(min(MAX_JITTER, length.dividedBy(2))));
        });
    }

    /** The earlier of a held check and the regular one; either may be absent. */
    static Optional<Instant> earlier(Optional<Instant> held, Optional<NextCheck> regular) {
        Objects.requireNonNull(regular, "regular");
        Optional<Instant> scheduled = regular.map(NextCheck::at);
        if (held.isPresent() && scheduled.isPresent()) {
            return Optional.of(held.get().isBefore(scheduled.get()) ? held.get() : scheduled.get());
        }
        return held.isPresent() ? held : scheduled;
    }

    /**
     * When to try again after the server could not be reached for a check ({@code local_fallback}, "postponing until
     * it returns"): after the backoff's delay for {@code failures} consecutive failures, but never later than the
     * next check the policy schedules anyway; when the backoff is used up, at that next check.
     *
     * @param regular the next check of {@link #next} (from the failed attempt); empty when none is scheduled
     * @return empty when neither the backoff nor the schedule asks for another try
     */
    public static Optional<Instant> retryWhileUnreachable(Backoff backoff, int failures, Instant now,
                                                         Optional<NextCheck> regular) {
        Optional<Instant> retry = backoff.delayAfter(failures).map(now::plus);
        Optional<Instant> scheduled = regular.map(NextCheck::at);
        if (retry.isPresent() && scheduled.isPresent()) {
            return Optional.of(retry.get().isBefore(scheduled.get()) ? retry.get() : scheduled.get());
        }
        return retry.isPresent() ? retry : scheduled;
    }

    private Duration jitter(Duration bound) {
        long seconds = bound.toSeconds();
        if (seconds <= 0) {
            return Duration.ZERO;
        }
        // nextDouble() is below 1, so the jitter stays below the bound
        return Duration.ofSeconds((long) (random.nextDouble() * seconds));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
