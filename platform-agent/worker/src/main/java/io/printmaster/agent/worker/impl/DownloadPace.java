package io.printmaster.agent.worker.impl;

import java.time.Duration;

/**
 * The slowest a download may be (slow retrieval, an attack on updaters: a server, or someone between, that sends a
 * byte now and then keeps an agent on its old version for as long as it likes). At every moment {@code t} after
 * the download began, it must have received at least {@code (t - grace) * minBytesPerSecond} bytes in this run; so
 * the whole download has a deadline derived from its size, {@code grace + size / minBytesPerSecond} (the backoff
 * pauses between attempts not counted: the server is not asked then). Stalls are the
 * stall timeout's job; this one catches the trickle that is never quite a stall.
 *
 * @param minBytesPerSecond the minimum average rate
 * @param grace             the time a download has before the rate counts (connecting, the server's first bytes)
 */
record DownloadPace(long minBytesPerSecond, Duration grace) {
    /** The defaults: 4 KiB/s after 30 s (a 40 MB release may take up to 2 h 43 min). */
    static final DownloadPace DEFAULT = new DownloadPace(4096, Duration.ofSeconds(30));

    DownloadPace {
        if (minBytesPerSecond < 1) {
            throw new IllegalArgumentException("minBytesPerSecond must be at least 1");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
    }

    /** The whole download's deadline for {@code bytes} bytes. */
    Duration deadlineFor(long bytes) {
        return grace.plusSeconds((bytes + minBytesPerSecond - 1) / minBytesPerSecond);
    }

    /** One download's clock. */
    Watch start(long bytesToFetch) {
        return new Watch(bytesToFetch, System.nanoTime());
    }

    /** The progress of one download against its pace; the counters are updated by the reading thread. */
    final class Watch {
        private final long bytesToFetch;
        private final long startNanos;
        private volatile long received;
        /** Backoff pauses between attempts: the server is not asked then, so they do not count against it. */
        private volatile long pausedNanos;

        private Watch(long bytesToFetch, long startNanos) {
            this.bytesToFetch = bytesToFetch;
            this.startNanos = startNanos;
        }

        void received(long n) {
            received += n;
        }

        void paused(Duration pause) {
            pausedNanos += pause.toNanos();
        }

        private long elapsedNanos() {
            return System.nanoTime() - startNanos - pausedNanos;
        }

        /** The time left until the whole download's deadline (zero when it passed). */
        Duration remaining() {
            Duration left = deadlineFor(bytesToFetch).minusNanos(elapsedNanos());
            return left.isNegative() ? Duration.ZERO : left;
        }

        /** Why the download is too slow now, or null while it keeps the pace. */
        String tooSlow() {
            long elapsedMillis = elapsedNanos() / 1_000_000;
            long countedMillis = elapsedMillis - grace.toMillis();
            if (countedMillis <= 0) {
                return null;
            }
            long needed = Math.min(bytesToFetch, countedMillis * minBytesPerSecond / 1000);
            long got = received;
            if (got >= needed) {
                return null;
            }
            return "the download is too slow: " + got + " of " + bytesToFetch + " bytes in " + elapsedMillis / 1000
                    + " s, below the minimum average of " + minBytesPerSecond + " bytes/s after " + grace.toSeconds()
                    + " s (deadline for this size: " + deadlineFor(bytesToFetch).toSeconds() + " s)";
        }
    }
}
