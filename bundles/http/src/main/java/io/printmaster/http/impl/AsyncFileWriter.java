package io.printmaster.http.impl;

import io.printmaster.http.api.ApiResponse.FileRange;
import io.printmaster.http.api.ApiResponse.WriterRange;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a download body with the Servlet non-blocking API: a chunk is read from its source (a file, or a
 * {@link io.printmaster.http.api.Downloads.RangeWriter} such as a decrypting installer cache) and written whenever the
 * connection {@linkplain ServletOutputStream#isReady() can take it}, so a client that reads slowly holds its
 * connection, not a server thread. A client that stops reading is cut off by the connector's idle timeout (the
 * pending write fails).
 */
final class AsyncFileWriter implements WriteListener {
    /** One chunk per write; the same size the blocking copy uses. */
    static final int CHUNK_BYTES = 1024 * 1024;

    /** Where the chunks come from. */
    private interface Source extends AutoCloseable {
        /** Fills {@code into} (cleared, limit set) with the bytes from {@code position}; the count, or -1 at the end. */
        int read(long position, ByteBuffer into) throws IOException;

        @Override
        void close();
    }

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final Source source;
    private final ByteBuffer buffer;
    private final long end;
    private long position;
    private final AtomicBoolean done = new AtomicBoolean();

    private AsyncFileWriter(AsyncContext async, ServletOutputStream out, Source source, long offset, long length,
                            boolean direct) {
        this.async = async;
        this.out = out;
        this.source = source;
        this.position = offset;
        this.end = offset + length;
        int size = (int) Math.max(1, Math.min(CHUNK_BYTES, length));
        this.buffer = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    }

    /** Goes async and starts writing a file range; the calling thread returns at once. Status and headers are set. */
    static void start(HttpServletRequest req, HttpServletResponse resp, FileRange range) throws IOException {
        FileChannel file = FileChannel.open(range.file(), StandardOpenOption.READ);
        Source source = new Source() {
            @Override
            public int read(long position, ByteBuffer into) throws IOException {
                return file.read(into, position);
            }

            @Override
            public void close() {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // read-only: nothing lost
                }
            }
        };
        start(req, resp, source, range.offset(), range.length(), true);
    }

    /** As {@link #start(HttpServletRequest, HttpServletResponse, FileRange)}, the bytes coming from a range writer. */
    static void start(HttpServletRequest req, HttpServletResponse resp, WriterRange range) throws IOException {
        Source source = new Source() {
            @Override
            public int read(long position, ByteBuffer into) throws IOException {
                int wanted = into.remaining();
                // the writer writes into the heap buffer's array; more than asked for would overrun the next chunk
                OutputStream sink = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        if (len > into.remaining()) {
                            throw new IOException("the download's writer wrote more than the " + wanted
                                    + " bytes asked for at " + position);
                        }
                        into.put(b, off, len);
                    }
                };
                range.writer().write(position, wanted, sink);
                int written = wanted - into.remaining();
                if (written != wanted) {
                    throw new IOException("the download's writer wrote " + written + " of the " + wanted
                            + " bytes asked for at " + position);
                }
                return written;
            }

            @Override
            public void close() {
                // the writer holds nothing between calls
            }
        };
        start(req, resp, source, range.offset(), range.length(), false);
    }

    private static void start(HttpServletRequest req, HttpServletResponse resp, Source source, long offset, long length,
                              boolean direct) throws IOException {
        try {
            AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
            async.setTimeout(0); // the idle timeout ends a stalled download, not a timer
            ServletOutputStream out = resp.getOutputStream();
            out.setWriteListener(new AsyncFileWriter(async, out, source, offset, length, direct));
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    @Override
    public void onWritePossible() throws IOException {
        // Jetty calls this again once a write that left the stream not ready has completed
        while (!done.get() && out.isReady()) {
            if (position >= end) {
                finish();
                return;
            }
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int n = source.read(position, buffer);
            if (n < 0) {
                // the source is shorter than announced: end the response short, so the client sees it incomplete
                throw new IOException("the content ends at " + position + ", before the " + end + " bytes announced");
            }
            position += n;
            buffer.flip();
            out.write(buffer);
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
        source.close();
        try {
            async.complete();
        } catch (IllegalStateException ignored) {
            // completed already
        }
    }
}
