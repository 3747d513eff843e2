package io.printmaster.security.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows guessing on a public route: after {@code maxFailures} failures within {@code window} for the same key (a
 * remote address, a user name), further attempts are refused until the oldest failure leaves the window (a sliding
 * window). Only failures count, so many agents enrolling through one NAT address with a good token are never slowed
 * down; a success may clear its key ({@link #succeeded}). Used by the console login and agent enrollment.
 */
public final class FailureRateLimiter {
    /** Keys kept before expired ones are swept, so a spray of addresses cannot grow memory without bound. */
    private static final int SWEEP_ABOVE = 10_000;

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    /** @throws IllegalArgumentException when {@code maxFailures} is below 1 or {@code window} is not positive */
    public FailureRateLimiter(int maxFailures, Duration window, Clock clock) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures must be at least 1, was " + maxFailures);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
    }

    /** When the key is blocked, how long until it may try again; empty when it may try now. */
    public Optional<Duration> blockedFor(String key) {
        Deque<Instant> q = failures.get(key);
        if (q == null) {
            return Optional.empty();
        }
        synchronized (q) {
            Instant now = clock.instant();
            prune(q, now);
            if (q.size() < maxFailures) {
                return Optional.empty();
            }
            Duration wait = Duration.between(now, q.peekFirst().plus(window));
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        }
    }

    /** Counts a failure of {@code key}. */
    public void failed(String key) {
        Deque<Instant> q = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (q) {
            Instant now = clock.instant();
            prune(q, now);
            q.addLast(now);
        }
        if (failures.size() > SWEEP_ABOVE) {
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    prune(e.getValue(), clock.instant());
                    return e.getValue().isEmpty();
                }
            });
        }
    }

    /** Forgets the failures of {@code key} (a login that succeeded). */
    public void succeeded(String key) {
        failures.remove(key);
    }

    private void prune(Deque<Instant> q, Instant now) {
        while (!q.isEmpty() && !q.peekFirst().plus(window).isAfter(now)) {
            q.removeFirst();
        }
    }
}
