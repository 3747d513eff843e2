package io.printmaster.itests.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The fleet simulator's histogram reports what was recorded: exact small values, percentiles within its 0.8 %
 * precision and never below the true value, the maximum as recorded (plain JUnit, no framework: it names the
 * bench's numbers, so a wrong percentile would be a wrong benchmark).
 */
class LatencyHistogramIT {

    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        IntStream.rangeClosed(1, 100).forEach(h::recordMicros);
        assertEquals(50, h.percentileMicros(50));
        assertEquals(99, h.percentileMicros(99));
        assertEquals(100, h.percentileMicros(100));
        assertEquals(100, h.maxMicros());
        assertEquals(50.5, h.meanMicros(), 1e-9);
    }

    @Test
    void percentilesOfLargeValuesAreWithinPrecisionAndNeverLow() {
        LatencyHistogram h = new LatencyHistogram();
        long[] values = new Random(7).longs(100_000, 1, 60_000_000L).sorted().toArray();
        for (long v : values) {
            h.recordMicros(v);
        }
        for (double p : new double[] {50, 90, 99, 99.9}) {
            long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
            long got = h.percentileMicros(p);
            assertTrue(got >= exact, "p" + p + " " + got + " below the recorded " + exact);
            assertTrue(got <= exact * 1.008 + 1, "p" + p + " " + got + " beyond 0.8 % of " + exact);
        }
        assertEquals(values[values.length - 1], h.percentileMicros(100));
    }

    @Test
    void everyBucketHoldsTheValuesMappedToIt() {
        for (long v = 1; v < 1L << 36; v = v * 3 / 2 + 1) {
            int i = LatencyHistogram.index(v);
            assertTrue(LatencyHistogram.highestOf(i) >= v, "bucket of " + v);
            assertTrue(i == 0 || LatencyHistogram.highestOf(i - 1) < v, "bucket below " + v);
        }
    }

    @Test
    void nanosAreRecordedAsMicrosAndNegativeAsZero() {
        LatencyHistogram h = new LatencyHistogram();
        h.recordNanos(5_000_000);
        h.recordNanos(-3);
        assertEquals(2, h.count());
        assertEquals(5000, h.maxMicros());
        assertEquals(0, h.percentileMicros(50));
    }
}
