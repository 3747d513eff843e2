package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.security.limits.FailureRateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The public limiter of {@code io.printmaster.security.limits}, on the clock the other tests of this bundle move. */
class FailureRateLimiterTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    private final FailureRateLimiter limiter = new FailureRateLimiter(3, Duration.ofMinutes(10), clock);

    @Test
    void blocksAKeyAfterTooManyFailuresUntilTheOldestLeavesTheWindow() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), limiter.blockedFor("addr:1.2.3.4"));
            limiter.failed("addr:1.2.3.4");
            clock.now = clock.now.plusSeconds(60);
        }
        // failures at 12:00, 12:01, 12:02; now 12:03 → the first expires at 12:10
        assertEquals(Optional.of(Duration.ofMinutes(7)), limiter.blockedFor("addr:1.2.3.4"));
        assertEquals(Optional.empty(), limiter.blockedFor("addr:5.6.7.8"), "other keys are not affected");
        clock.now = Instant.parse("2026-11-26T12:10:00Z");
        assertTrue(limiter.blockedFor("addr:1.2.3.4").isEmpty());
    }

    @Test
    void aSuccessClearsTheKeysFailures() {
        limiter.failed("user:admin");
        limiter.failed("user:admin");
        limiter.succeeded("user:admin");
        limiter.failed("user:admin");
        limiter.failed("user:admin");
        assertTrue(limiter.blockedFor("user:admin").isEmpty());
    }

    @Test
    void nonsensicalLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FailureRateLimiter(0, Duration.ofMinutes(1), clock));
        assertThrows(IllegalArgumentException.class, () -> new FailureRateLimiter(1, Duration.ZERO, clock));
    }
}
