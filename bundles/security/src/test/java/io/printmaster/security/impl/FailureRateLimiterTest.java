package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.security.limits.FailureRateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    void aReservationCountsAsAFailureUntilReleased() {
        FailureRateLimiter.Reservation first = limiter.tryReserve("login:a");
        FailureRateLimiter.Reservation second = limiter.tryReserve("login:a");
        FailureRateLimiter.Reservation third = limiter.tryReserve("login:a");
        assertTrue(first.granted() && second.granted() && third.granted());
        FailureRateLimiter.Reservation fourth = limiter.tryReserve("login:a");
        assertFalse(fourth.granted(), "three reservations fill a window of three");
        assertEquals(Duration.ofMinutes(10), fourth.retryAfter());
        assertEquals(Optional.of(Duration.ofMinutes(10)), limiter.blockedFor("login:a"));

        limiter.release(second);
        limiter.release(fourth); // refused: nothing to give back
        assertTrue(limiter.tryReserve("login:a").granted(), "a released reservation frees its place");
        assertFalse(limiter.tryReserve("login:a").granted());
    }

    @Test
    void ofManyConcurrentReservationsAtMostTheLimitAreGranted() throws Exception {
        int threads = 64;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger granted = new AtomicInteger();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    if (limiter.tryReserve("login:race").granted()) {
                        granted.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(3, granted.get());
    }

    @Test
    void nonsensicalLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FailureRateLimiter(0, Duration.ofMinutes(1), clock));
        assertThrows(IllegalArgumentException.class, () -> new FailureRateLimiter(1, Duration.ZERO, clock));
    }
}
