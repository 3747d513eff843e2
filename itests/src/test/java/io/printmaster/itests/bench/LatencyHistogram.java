package io.printmaster.itests.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A small HdrHistogram-like recorder of durations in microseconds: exact below 256 µs, then 128 linear sub-buckets
 * per power of two (every value is reported within 0.8 % of what was recorded, never lower), up to about 19 hours.
 * Lock-free ({@link AtomicLongArray}), so the simulator's callbacks record from any thread; a few KB whatever the
 * count, so 100,000 agents' worth of check-ins cost no more memory than ten.
 */
public final class LatencyHistogram {
    private static final int EXACT = 256;
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    private static final int MAX_EXPONENT = 36;
    private static final int BUCKETS = EXACT + (MAX_EXPONENT - 8 + 1) * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();
    private final AtomicLong sum = new AtomicLong();

    /** Records one duration in nanoseconds (negative counts as 0). */
    public void recordNanos(long nanos) {
        recordMicros(Math.max(0, nanos) / 1000);
    }

    public void recordMicros(long micros) {
        long v = Math.max(0, micros);
        counts.incrementAndGet(index(v));
        total.incrementAndGet();
        sum.addAndGet(v);
        max.accumulateAndGet(v, Math::max);
    }

    static int index(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int e = Math.min(63 - Long.numberOfLeadingZeros(v), MAX_EXPONENT);
        long sub = Math.min(v >> (e - SUB_BITS), 2L * SUB - 1);
        return EXACT + (e - 8) * SUB + (int) (sub - SUB);
    }

    /** The highest value that falls in bucket {@code i}. */
    static long highestOf(int i) {
        if (i < EXACT) {
            return i;
        }
        int e = (i - EXACT) / SUB + 8;
        long sub = (i - EXACT) % SUB + SUB;
        return ((sub + 1) << (e - SUB_BITS)) - 1;
    }

    public long count() {
        return total.get();
    }

    public long maxMicros() {
        return max.get();
    }

    public double meanMicros() {
        long n = total.get();
        return n == 0 ? 0 : (double) sum.get() / n;
    }

    /** The value at percentile {@code p} (0–100) in microseconds, never more than the maximum; 0 when empty. */
    public long percentileMicros(double p) {
        long n = total.get();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(highestOf(i), max.get());
            }
        }
        return max.get();
    }

    /** {@code p50 1.23 / p99 4.56 / max 7.89 ms (n=…)}. */
    public String summaryMillis() {
        return String.format("p50 %s / p90 %s / p99 %s / p99.9 %s / max %s ms (n=%d)", ms(percentileMicros(50)),
                ms(percentileMicros(90)), ms(percentileMicros(99)), ms(percentileMicros(99.9)), ms(maxMicros()),
                count());
    }

    public static String ms(long micros) {
        return micros >= 100_000 ? String.format("%.0f", micros / 1000.0) : String.format("%.2f", micros / 1000.0);
    }
}
