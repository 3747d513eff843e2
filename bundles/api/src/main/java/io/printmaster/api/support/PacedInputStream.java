package io.printmaster.api.support;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An input stream that must keep a minimum average rate: at every moment {@code t} after it was opened, it must have
 * delivered at least {@code (t - grace) * minBytesPerSecond} bytes (so reading {@code n} bytes has the deadline
 * {@code grace + n / minBytesPerSecond}). A remote end that trickles (one byte every few seconds, never quite a stall)
 * is cut off: a watch closes the underlying stream and interrupts the thread blocked in {@code read}, and that read,
 * like every later one, throws {@link TooSlowException} naming {@code what}. For release sources reading a feed or a
 * listing from a server that may be hostile, and for anything else that must not be held by a slow peer.
 *
 * <p>The watch runs on the JDK's shared delayed executor, re-armed while the stream is open; nothing is left behind
 * after {@link #close()}.
 */
public final class PacedInputStream extends FilterInputStream {
    /** The rate used when a caller has no better idea: 4 KiB/s. */
    public static final long DEFAULT_MIN_BYTES_PER_SECOND = 4096;
    /** The grace used when a caller has no better idea: 30 s. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    /** The stream fell below its minimum average rate. */
    public static final class TooSlowException extends IOException {
        private static final long serialVersionUID = 1L;

        TooSlowException(String message) {
            super(message);
        }
    }

    private final long minBytesPerSecond;
    private final long graceMillis;
    private final String what;
    private final long startNanos = System.nanoTime();
    private final long checkMillis;
    private volatile long received;
    private volatile Thread reading;
    private volatile String tooSlow;
    private volatile boolean closed;

    private PacedInputStream(InputStream in, long minBytesPerSecond, Duration grace, String what) {
        super(Objects.requireNonNull(in, "in"));
        if (minBytesPerSecond < 1) {
            throw new IllegalArgumentException("minBytesPerSecond must be at least 1");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        this.minBytesPerSecond = minBytesPerSecond;
        this.graceMillis = grace.toMillis();
        this.what = Objects.requireNonNull(what, "what");
        this.checkMillis = Math.max(20, Math.min(1000, graceMillis / 4));
    }

    /**
     * @param in                the stream to watch (closed when the pace is broken, and by {@link #close()})
     * @param minBytesPerSecond the minimum average rate, counted after {@code grace}
     * @param grace             how long the stream may take before the rate counts (connecting, a first answer)
     * @param what              what is read, for the error message (a URL without secrets)
     */
    public static PacedInputStream of(InputStream in, long minBytesPerSecond, Duration grace, String what) {
        PacedInputStream s = new PacedInputStream(in, minBytesPerSecond, grace, what);
        s.arm();
        return s;
    }

    /** The deadline for reading {@code bytes} bytes at this pace. */
    public static Duration deadlineFor(long bytes, long minBytesPerSecond, Duration grace) {
        return grace.plusSeconds((bytes + minBytesPerSecond - 1) / minBytesPerSecond);
    }

    private void arm() {
        CompletableFuture.delayedExecutor(checkMillis, TimeUnit.MILLISECONDS).execute(this::check);
    }

    private void check() {
        if (closed || tooSlow != null) {
            return;
        }
        String problem = problem();
        if (problem == null) {
            arm();
            return;
        }
        tooSlow = problem;
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // the interrupt below still ends a blocked read
        }
        Thread t = reading;
        if (t != null) {
            t.interrupt(); // the JDK HTTP client's body stream waits on a queue that closing alone may not wake
        }
    }

    /** Why the stream is too slow now, or null. */
    private String problem() {
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;
        long counted = elapsedMillis - graceMillis;
        if (counted <= 0) {
            return null;
        }
        long needed = counted * minBytesPerSecond / 1000;
        long got = received;
        if (got >= needed) {
            return null;
        }
        return what + " is too slow: " + got + " bytes in " + elapsedMillis / 1000 + " s, below the minimum average of "
                + minBytesPerSecond + " bytes/s after " + graceMillis / 1000 + " s; the connection was dropped";
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        failIfTooSlow();
        reading = Thread.currentThread();
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            failIfTooSlow();
            throw e;
        } finally {
            reading = null;
            if (tooSlow != null) {
                Thread.interrupted(); // our interrupt, not the caller's: reported as TooSlowException below
            }
        }
        failIfTooSlow();
        if (n > 0) {
            received += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        failIfTooSlow();
        long skipped = in.skip(n);
        received += Math.max(0, skipped);
        return skipped;
    }

    private void failIfTooSlow() throws TooSlowException {
        String problem = tooSlow;
        if (problem != null) {
            throw new TooSlowException(problem);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        in.close();
    }
}
