package io.printmaster.core.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Backoff BACKOFF = Backoff.of(Duration.ofSeconds(1), Duration.ofSeconds(60), 10);

    /** Always draws the largest value allowed, to see the ceiling. */
    private static final RandomGenerator HIGHEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    /** Always draws zero. */
    private static final RandomGenerator LOWEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long bound) {
            return 0;
        }
    };

    @Test
    void ceilingDoublesUpToTheMax() {
        List<Long> seconds = new ArrayList<>();
        for (int failures = 1; failures <= 9; failures++) {
            seconds.add(BACKOFF.ceiling(failures).toSeconds());
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L, 60L), seconds);
    }

    @Test
    void ceilingNeverOverflows() {
        Backoff b = Backoff.of(Duration.ofMillis(1), Duration.ofDays(365), Integer.MAX_VALUE);
        assertEquals(Duration.ofDays(365), b.ceiling(64));
        assertEquals(Duration.ofDays(365), b.ceiling(1_000_000));
        assertEquals(Duration.ofMillis(1L << 34), b.ceiling(35));
    }

    @Test
    void fullJitterSpansZeroToCeilingInclusive() {
        assertEquals(Optional.of(Duration.ofSeconds(8)), BACKOFF.withRandom(HIGHEST).delayAfter(4));
        assertEquals(Optional.of(Duration.ZERO), BACKOFF.withRandom(LOWEST).delayAfter(4));
        assertEquals(Optional.of(Duration.ofSeconds(60)), BACKOFF.withRandom(HIGHEST).delayAfter(9));
    }

    @Test
    void delaysStayWithinTheirCeilingAndSpreadOverIt() {
        Backoff b = BACKOFF.withRandom(new SplittableRandom(7));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 2000; i++) {
            long ms = b.delayAfter(3).orElseThrow().toMillis();
            assertTrue(ms >= 0 && ms <= 4000, "within [0, 4 s]: " + ms);
            min = Math.min(min, ms);
            max = Math.max(max, ms);
        }
        assertTrue(min < 400 && max > 3600, "full jitter covers the range: " + min + ".." + max);
    }

    @Test
    void seededGeneratorsRepeat() {
        List<Duration> a = new ArrayList<>();
        List<Duration> b = new ArrayList<>();
        Backoff first = BACKOFF.withRandom(new SplittableRandom(42));
        Backoff second = BACKOFF.withRandom(new SplittableRandom(42));
        for (int f = 1; f < 10; f++) {
            a.add(first.delayAfter(f).orElseThrow());
            b.add(second.delayAfter(f).orElseThrow());
        }
        assertEquals(a, b);
    }

    @Test
    void givesUpAfterMaxAttempts() {
        Backoff three = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1), 3);
        assertTrue(three.delayAfter(1).isPresent(), "second attempt");
        assertTrue(three.delayAfter(2).isPresent(), "third attempt");
        assertEquals(Optional.empty(), three.delayAfter(3), "three attempts made: give up");
        assertEquals(Optional.empty(), Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1), 1).delayAfter(1),
                "one attempt only: never retry");
    }

    @Test
    void defaultRandomWorks() {
        Duration d = BACKOFF.delayAfter(2).orElseThrow();
        assertTrue(!d.isNegative() && d.compareTo(Duration.ofSeconds(2)) <= 0, d.toString());
    }

    @Test
    void rejectsNonsense() {
        assertEquals("base delay must be at least 1 ms, not PT0S", assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1), 3)).getMessage());
        assertEquals("max delay PT1S must not be below the base delay PT2S", assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 3)).getMessage());
        assertEquals("max attempts must be at least 1, not 0", assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 0)).getMessage());
        assertEquals("failures counts failed attempts and starts at 1, not 0",
                assertThrows(IllegalArgumentException.class, () -> BACKOFF.delayAfter(0)).getMessage());
    }
}
