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
 *
 * <p>When evaluating an attempt is expensive (a password hash) or slow, check-then-record lets every request that
 * arrives while the first ones are still being evaluated through: {@link #tryReserve} counts the attempt as a
 * failure atomically <em>before</em> it is evaluated, so at most {@code maxFailures} attempts per key are ever in
 * evaluation or failed within the window; {@link #release} (or {@link #succeeded}) gives the reservation back when
 * the attempt turned out good.
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

    /**
     * An attempt counted in advance for its key: {@link #granted()} when the key had room in its window (the attempt
     * now counts as a failure until {@linkplain FailureRateLimiter#release released}), otherwise refused with how
     * long until the key may try again.
     */
    public static final class Reservation {
        private final String key;
        private final Instant at;
        private final Duration retryAfter;

        private Reservation(String key, Instant at, Duration retryAfter) {
            this.key = key;
            this.at = at;
            this.retryAfter = retryAfter;
        }

        /** True when the attempt may be evaluated. */
        public boolean granted() {
            return at != null;
        }

        /** For a refused reservation, how long until the key may try again; zero for a granted one. */
        public Duration retryAfter() {
            return retryAfter;
        }

        public String key() {
            return key;
        }
    }

    /**
     * Atomically checks the key and, when it has room, counts this attempt as a failure of it: of any number of
     * concurrent callers, at most {@code maxFailures} per window are granted. Release the reservation when the
     * attempt succeeds; otherwise it stays counted as the failure it was.
     */
    public Reservation tryReserve(String key) {
        while (true) {
            Deque<Instant> q = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
            Reservation result;
            synchronized (q) {
                if (failures.get(key) != q) {
                    continue; // swept or cleared meanwhile: count in the deque the map holds now
                }
                Instant now = clock.instant();
                prune(q, now);
                if (q.size() >= maxFailures) {
                    Duration wait = Duration.between(now, q.peekFirst().plus(window));
                    result = new Reservation(key, null, wait.isNegative() ? Duration.ZERO : wait);
                } else {
                    q.addLast(now);
                    result = new Reservation(key, now, Duration.ZERO);
                }
            }
            sweepIfLarge();
            return result;
        }
    }

    /** Gives back a granted reservation (the attempt succeeded, or was never evaluated); a refused one is ignored. */
    public void release(Reservation reservation) {
        if (!reservation.granted()) {
            return;
        }
        Deque<Instant> q = failures.get(reservation.key);
        if (q != null) {
            synchronized (q) {
                q.removeLastOccurrence(reservation.at);
            }
        }
    }

    /** Counts a failure of {@code key}. */
    public void failed(String key) {
        while (true) {
            Deque<Instant> q = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
            synchronized (q) {
                if (failures.get(key) != q) {
                    continue;
                }
                Instant now = clock.instant();
                prune(q, now);
                q.addLast(now);
            }
            sweepIfLarge();
            return;
        }
    }

    private void sweepIfLarge() {
        if (failures.size() > SWEEP_ABOVE) {
            for (Map.Entry<String, Deque<Instant>> e : failures.entrySet()) {
                Deque<Instant> q = e.getValue();
                synchronized (q) {
                    prune(q, clock.instant());
                    if (q.isEmpty()) {
                        // under the deque's lock, so no reservation lands in a deque the map no longer holds
                        failures.remove(e.getKey(), q);
                    }
                }
            }
        }
    }

    /** Forgets the failures of {@code key} (a login that succeeded). */
    public void succeeded(String key) {
        Deque<Instant> q = failures.get(key);
        if (q != null) {
            synchronized (q) {
                failures.remove(key, q);
            }
        }
    }

    private void prune(Deque<Instant> q, Instant now) {
        while (!q.isEmpty() && !q.peekFirst().plus(window).isAfter(now)) {
            q.removeFirst();
        }
    }
}
