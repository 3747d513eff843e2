package io.printmaster.http.impl;

import io.printmaster.http.api.ApiResponse.FileRange;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a file range as a response body with the Servlet non-blocking API: a chunk is read from the file and
 * written whenever the connection {@linkplain ServletOutputStream#isReady() can take it}, so a client that reads
 * slowly holds its connection, not a server thread. A client that stops reading is cut off by the connector's idle
 * timeout (the pending write fails).
 */
final class AsyncFileWriter implements WriteListener {
    /** One chunk per write; the same size the blocking copy uses. */
    static final int CHUNK_BYTES = 1024 * 1024;

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final FileChannel file;
    private final ByteBuffer buffer;
    private final long end;
    private final long first;
    private volatile long position;
    private final AtomicBoolean done = new AtomicBoolean();

    private AsyncFileWriter(AsyncContext async, ServletOutputStream out, FileChannel file, FileRange range) {
        this.async = async;
        this.out = out;
        this.file = file;
        this.position = range.offset();
        this.first = range.offset();
        this.end = range.offset() + range.length();
        this.buffer = ByteBuffer.allocateDirect((int) Math.max(1, Math.min(CHUNK_BYTES, range.length())));
    }

    /**
     * Goes async and starts writing; the calling thread returns at once. Status and headers are set already.
     *
     * @return how many bytes have been handed to the connection so far
     */
    static java.util.function.LongSupplier start(HttpServletRequest req, HttpServletResponse resp, FileRange range) throws IOException {
        FileChannel file = FileChannel.open(range.file(), StandardOpenOption.READ);
        try {
            AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
            async.setTimeout(0); // the idle timeout ends a stalled download, not a timer
            ServletOutputStream out = resp.getOutputStream();
            AsyncFileWriter writer = new AsyncFileWriter(async, out, file, range);
            out.setWriteListener(writer);
            return () -> writer.position - writer.first;
        } catch (IOException | RuntimeException e) {
            file.close();
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
            int n = file.read(buffer, position);
            if (n < 0) {
                // the file is shorter than announced: end the response short, so the client sees it incomplete
                throw new IOException("the file ends at " + position + ", before the " + end + " bytes announced");
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
        try {
            file.close();
        } catch (IOException ignored) {
            // read-only: nothing lost
        }
        try {
            async.complete();
        } catch (IllegalStateException ignored) {
            // completed already
        }
    }
}
