package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoginRateLimiterTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    private final LoginRateLimiter limiter = new LoginRateLimiter(3, Duration.ofMinutes(10), clock);

    @Test
    void blocksAfterTooManyFailuresUntilTheOldestLeavesTheWindow() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), limiter.blockedFor("addr:1.2.3.4"));
            limiter.failed("addr:1.2.3.4");
            clock.now = clock.now.plusSeconds(60);
        }
        // failures at 12:00, 12:01, 12:02; now 12:03 → the first expires at 12:10
        assertEquals(Optional.of(Duration.ofMinutes(7)), limiter.blockedFor("addr:1.2.3.4"));
        assertEquals(Optional.empty(), limiter.blockedFor("addr:5.6.7.8"), "other addresses are not affected");
        clock.now = Instant.parse("2026-11-26T12:10:00Z");
        assertTrue(limiter.blockedFor("addr:1.2.3.4").isEmpty());
    }

    @Test
    void successClearsFailures() {
        limiter.failed("user:admin");
        limiter.failed("user:admin");
        limiter.succeeded("user:admin");
        limiter.failed("user:admin");
        limiter.failed("user:admin");
        assertTrue(limiter.blockedFor("user:admin").isEmpty());
    }
}
