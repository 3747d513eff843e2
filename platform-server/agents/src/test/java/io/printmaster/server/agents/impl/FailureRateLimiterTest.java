package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailureRateLimiterTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    private final FailureRateLimiter limiter = new FailureRateLimiter(3, Duration.ofMinutes(10), clock);

    @Test
    void blocksAnAddressAfterTooManyFailuresUntilTheOldestLeavesTheWindow() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), limiter.blockedFor("addr:1.2.3.4"));
            limiter.failed("addr:1.2.3.4");
            clock.advance(Duration.ofMinutes(1));
        }
        assertEquals(Optional.of(Duration.ofMinutes(7)), limiter.blockedFor("addr:1.2.3.4"));
        assertEquals(Optional.empty(), limiter.blockedFor("addr:5.6.7.8"), "other addresses are not affected");
        clock.advance(Duration.ofMinutes(7));
        assertTrue(limiter.blockedFor("addr:1.2.3.4").isEmpty());
    }
}
