package io.printmaster.http.impl;

import io.printmaster.http.api.ApiResponse.WriterRange;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes the bytes a {@link io.printmaster.http.api.Downloads.RangeWriter} produces (an installer decrypted from its
 * cache) with the Servlet non-blocking API, producing the next piece on a small shared pool while the connection takes
 * the current one. So a slow client holds no thread (no piece is made while two wait for it), and a fast one gets
 * the speed of the slower of producing and sending instead of their sum (docs/benchmarks.md, "Serving a cached
 * installer").
 *
 * <p>Who writes: the container calls {@link #onWritePossible} when the stream becomes ready after it was not; when
 * the writer ran out of pieces while the stream was still ready, it sets {@code waiting} and returns, and the pool
 * thread that finishes the next piece calls it instead. The two never overlap: one returns with the stream not ready,
 * the other only with it ready.
 */
final class PrefetchingRangeWriter implements WriteListener {
    /** One piece per write. */
    static final int PIECE_BYTES = 1024 * 1024;
    /** Pieces made (or being made) ahead of the one being written. */
    private static final int AHEAD = 3;
    /** Pieces of one download made at the same time, on the pool's threads. */
    private static final int PRODUCERS = 2;

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final WriterRange range;
    private final Executor producers;
    private final long end;
    private final AtomicBoolean done = new AtomicBoolean();
    private final AtomicBoolean waiting = new AtomicBoolean();
    /**
     * Guarded by itself: the pieces made, by position (two may finish out of order), the next to make, how many are
     * being made, a failure to report.
     */
    private final java.util.TreeMap<Long, ByteBuffer> ready = new java.util.TreeMap<>();
    private long nextToProduce;
    private int producing;
    private IOException failure;
    /** Only the writing side changes it. */
    private volatile long written;
    /** The piece given to the stream last; free again once the stream is ready (its write completed). */
    private ByteBuffer inFlight;
    /**
     * Direct buffers to make pieces in, guarded by {@code ready}: at most {@link #AHEAD} + 1 per download, reused,
     * so a piece goes to the socket without the copy a heap buffer costs.
     */
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int allocated;

    private PrefetchingRangeWriter(AsyncContext async, ServletOutputStream out, WriterRange range, Executor producers) {
        this.async = async;
        this.out = out;
        this.range = range;
        this.producers = producers;
        this.end = range.offset() + range.length();
        this.nextToProduce = range.offset();
        this.written = range.offset();
    }

    /**
     * Goes async and starts producing and writing; the calling thread returns at once. Status and headers are set.
     *
     * @return how many bytes have been handed to the connection so far
     */
    static java.util.function.LongSupplier start(HttpServletRequest req, HttpServletResponse resp, WriterRange range, Executor producers)
            throws IOException {
        AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
        async.setTimeout(0); // the idle timeout ends a stalled download, not a timer
        ServletOutputStream out = resp.getOutputStream();
        PrefetchingRangeWriter writer = new PrefetchingRangeWriter(async, out, range, producers);
        writer.produceMore();
        out.setWriteListener(writer);
        return () -> writer.written - range.offset();
    }

    @Override
    public void onWritePossible() throws IOException {
        while (!done.get() && out.isReady()) {
            if (inFlight != null) {
                synchronized (ready) {
                    free.add(inFlight);
                }
                inFlight = null;
                produceMore();
            }
            if (written >= end) {
                finish();
                return;
            }
            ByteBuffer piece;
            synchronized (ready) {
                piece = ready.remove(written);
                if (piece == null && failure != null) {
                    throw failure;
                }
            }
            if (piece == null) {
                waiting.set(true);
                boolean arrivedMeanwhile;
                synchronized (ready) {
                    arrivedMeanwhile = ready.containsKey(written) || failure != null;
                }
                // the producer that made it may have seen waiting=false: take the turn back, unless it took it
                if (arrivedMeanwhile && waiting.compareAndSet(true, false)) {
                    continue;
                }
                return;
            }
            written += piece.remaining();
            inFlight = piece;
            produceMore();
            out.write(piece);
        }
    }

    /** Starts making the next pieces on the pool, while fewer than {@link #AHEAD} are made or being made. */
    private void produceMore() {
        while (true) {
            long position;
            int length;
            ByteBuffer buffer;
            synchronized (ready) {
                if (producing >= PRODUCERS || done.get() || failure != null || nextToProduce >= end
                        || ready.size() + producing >= AHEAD) {
                    return;
                }
                buffer = free.poll();
                if (buffer == null) {
                    if (allocated > AHEAD) {
                        return; // all in use: the write that completes frees one, and asks again
                    }
                    allocated++;
                    buffer = ByteBuffer.allocateDirect((int) Math.min(PIECE_BYTES, range.length()));
                }
                producing++;
                position = nextToProduce;
                length = (int) Math.min(buffer.capacity(), end - position);
                nextToProduce = position + length;
            }
            ByteBuffer into = buffer.clear().limit(length);
            producers.execute(() -> produce(position, length, into));
        }
    }

    private void produce(long position, int length, ByteBuffer piece) {
        IOException failed = null;
        try {
            range.writer().write(position, length, new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > piece.remaining()) {
                        throw new IOException("the download's writer wrote more than the " + length
                                + " bytes asked for at " + position);
                    }
                    piece.put(b, off, len);
                }
            });
            if (piece.hasRemaining()) {
                throw new IOException("the download's writer wrote " + piece.position() + " of the " + length
                        + " bytes asked for at " + position);
            }
        } catch (IOException | RuntimeException e) {
            failed = e instanceof IOException io ? io : new IOException(e);
        }
        synchronized (ready) {
            producing--;
            if (failed != null) {
                failure = failed;
            } else {
                ready.put(position, piece.flip());
            }
        }
        if (failed == null) {
            produceMore();
        }
        if (waiting.compareAndSet(true, false)) {
            try {
                onWritePossible();
            } catch (IOException | RuntimeException e) {
                onError(e);
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        finish();
    }

    private void finish() {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        synchronized (ready) {
            ready.clear();
        }
        try {
            async.complete();
        } catch (IllegalStateException ignored) {
            // completed already
        }
    }
}
