package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads a request body with the Servlet non-blocking API, so a body that trickles in holds no thread: Jetty calls
 * {@link #onDataAvailable} when bytes arrive. The whole body must arrive within a deadline (408 otherwise, and the
 * connection is closed); Jetty's minimum data rate (see {@link ConnectionDefences}) cuts a trickle off sooner, at
 * the read that finds too few bytes arrived since the first one. Either way the caller gets the error shape.
 */
final class AsyncBodyReader implements ReadListener {

    /** What happens with the body once it is all there; runs on a server thread, which it may use as long as it needs. */
    @FunctionalInterface
    interface BodyHandler {
        void handle(byte[] body);
    }

    /** How a refusal is written: the dispatcher's error shape. */
    @FunctionalInterface
    interface ErrorWriter {
        void write(HttpServletResponse resp, ApiException e) throws IOException;
    }

    private final AsyncContext async;
    private final ServletInputStream in;
    private final HttpServletResponse resp;
    private final long limit;
    private final long deadlineSeconds;
    private final BodyHandler handler;
    private final ErrorWriter errors;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final byte[] chunk = new byte[8192];
    private final AtomicBoolean finished = new AtomicBoolean();
    private final ScheduledFuture<?> deadline;

    private AsyncBodyReader(AsyncContext async, ServletInputStream in, HttpServletResponse resp, long limit,
                            long deadlineSeconds, ScheduledExecutorService timer, BodyHandler handler, ErrorWriter errors) {
        this.async = async;
        this.in = in;
        this.resp = resp;
        this.limit = limit;
        this.deadlineSeconds = deadlineSeconds;
        this.handler = handler;
        this.errors = errors;
        this.deadline = timer.schedule(this::deadlinePassed, deadlineSeconds, TimeUnit.SECONDS);
    }

    /**
     * Goes async and reads the body; {@code handler} runs once it has all arrived. The calling thread returns at once.
     * The async context completes after the handler unless the handler's request went on asynchronously itself.
     */
    static void start(HttpServletRequest req, HttpServletResponse resp, long limit, long deadlineSeconds,
                      ScheduledExecutorService timer, BodyHandler handler, ErrorWriter errors) throws IOException {
        AsyncContext async = req.startAsync(req, resp);
        // our own deadline, not the context's: a context timeout cannot be withdrawn once the body is in
        async.setTimeout(0);
        ServletInputStream in = req.getInputStream();
        in.setReadListener(new AsyncBodyReader(async, in, resp, limit, deadlineSeconds, timer, handler, errors));
    }

    @Override
    public void onDataAvailable() throws IOException {
        while (!finished.get() && in.isReady()) {
            int n = in.read(chunk);
            if (n < 0) {
                return; // onAllDataRead follows
            }
            if (body.size() + (long) n > limit) {
                fail(new ApiException(413, "body_too_large", "the request body exceeds " + limit + " bytes"));
                return;
            }
            body.write(chunk, 0, n);
        }
    }

    @Override
    public void onAllDataRead() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        deadline.cancel(false);
        handler.handle(body.toByteArray());
    }

    @Override
    public void onError(Throwable t) {
        fail(tooSlow(t) ? new ApiException(408, "request_timeout", "the request body arrived too slowly")
                : new ApiException(400, "bad_request", "the request body could not be read"));
    }

    private static boolean tooSlow(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof org.eclipse.jetty.http.HttpException h && h.getCode() == 408
                    || c instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private void deadlinePassed() {
        fail(new ApiException(408, "request_timeout", "the request body did not arrive within " + deadlineSeconds + " s"));
    }

    /** Answers the refusal once, closing the connection: the rest of the body is never read. */
    private void fail(ApiException e) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        deadline.cancel(false);
        try {
            if (!resp.isCommitted()) {
                resp.setHeader("Connection", "close");
                errors.write(resp, e);
            }
        } catch (IOException | RuntimeException ignored) {
            // the client is gone; nothing to tell it
        } finally {
            try {
                async.complete();
            } catch (IllegalStateException ignored) {
                // completed already
            }
        }
    }
}
