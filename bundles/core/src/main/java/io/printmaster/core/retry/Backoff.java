package io.printmaster.core.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * How long to wait before retrying a failed operation: exponential backoff with "full jitter" (the delay after the
 * n-th failure is uniformly random between zero and {@code min(max, base × 2^(n-1))}), which spreads the retries
 * of many clients best and keeps a fleet from hammering a recovering server in step.
 *
 * <pre>{@code
 * Backoff backoff = Backoff.of(Duration.ofSeconds(1), Duration.ofMinutes(5), 8);
 * for (int failures = 0; ; ) {
 *     try { return download(); }
 *     catch (IOException e) {
 *         Optional<Duration> delay = backoff.delayAfter(++failures);
 *         if (delay.isEmpty()) throw e;           // 8 attempts made
 *         waitFor(delay.get());
 *     }
 * }
 * }</pre>
 *
 * Immutable; thread-safe as long as the injected random generator is (the default is).
 * Delays have millisecond resolution.
 */
public final class Backoff {

    private final Duration base;
    private final Duration max;
    private final int maxAttempts;
    /** null: {@link ThreadLocalRandom} of the calling thread. */
    private final RandomGenerator random;

    private Backoff(Duration base, Duration max, int maxAttempts, RandomGenerator random) {
        this.base = base;
        this.max = max;
        this.maxAttempts = maxAttempts;
        this.random = random;
    }

    /**
     * A backoff starting at {@code base}, doubling up to {@code max}, for {@code maxAttempts} attempts in all (the
     * first try included).
     *
     * @throws IllegalArgumentException when {@code base} is under a millisecond, {@code max} is below {@code base},
     *                                  or {@code maxAttempts} is below 1
     */
    public static Backoff of(Duration base, Duration max, int maxAttempts) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(max, "max");
        if (base.toMillis() < 1) {
            throw new IllegalArgumentException("base delay must be at least 1 ms, not " + base);
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("max delay " + max + " must not be below the base delay " + base);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be at least 1, not " + maxAttempts);
        }
        return new Backoff(base, max, maxAttempts, null);
    }

    /** The same backoff drawing its jitter from {@code random} (a seeded generator makes delays repeatable). */
    public Backoff withRandom(RandomGenerator random) {
        return new Backoff(base, max, maxAttempts, Objects.requireNonNull(random, "random"));
    }

    public Duration base() {
        return base;
    }

    public Duration max() {
        return max;
    }

    /** Attempts in all, the first one included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * The longest delay after {@code failures} failed attempts: {@code min(max, base × 2^(failures-1))}.
     *
     * @throws IllegalArgumentException when {@code failures < 1}
     */
    public Duration ceiling(int failures) {
        requirePositive(failures);
        long baseMillis = base.toMillis();
        long maxMillis = max.toMillis();
        int shift = failures - 1;
        // base × 2^shift > max  ⇔  base > max >> shift (and any shift of 63 or more overflows)
        if (shift >= 63 || baseMillis > (maxMillis >> shift)) {
            return Duration.ofMillis(maxMillis);
        }
        return Duration.ofMillis(baseMillis << shift);
    }

    /**
     * How long to wait after {@code failures} failed attempts before the next one: uniformly random from zero to
     * {@link #ceiling(int) ceiling(failures)}, both included. Empty when {@code failures} attempts used up
     * {@link #maxAttempts()}: give up.
     *
     * @throws IllegalArgumentException when {@code failures < 1}
     */
    public Optional<Duration> delayAfter(int failures) {
        requirePositive(failures);
        if (failures >= maxAttempts) {
            return Optional.empty();
        }
        long ceilingMillis = ceiling(failures).toMillis();
        RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
        return Optional.of(Duration.ofMillis(r.nextLong(ceilingMillis + 1)));
    }

    private static void requirePositive(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures counts failed attempts and starts at 1, not " + failures);
        }
    }

    @Override
    public String toString() {
        return "Backoff[base=" + base + ", max=" + max + ", maxAttempts=" + maxAttempts + "]";
    }
}
