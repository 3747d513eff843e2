package io.printmaster.http.impl;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.DeferredAnswer;
import io.printmaster.http.api.PendingAnswer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One suspended request of a {@link ApiResponse#deferred} answer. The first answer (the producer's, or the time-out
 * answer from the dispatcher's timer) wins; it is written with a {@link WriteListener}, so neither the waiting nor
 * the writing holds a thread while the client is slow. The time limit is the dispatcher's timer, not the container's
 * async timeout (whose expiry would need a synchronous answer on the container's thread). Jetty 12 does not apply the
 * connector's idle timeout to a request suspended with no read or write pending, so a quiet wait longer than the idle
 * timeout is not cut (DeferredAnswerTest proves it); once answered, the idle connection is again subject to it.
 */
final class AsyncPendingAnswer implements PendingAnswer, AsyncListener, WriteListener {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncPendingAnswer.class);

    private final AsyncContext async;
    private final HttpServletResponse resp;
    private final Function<ApiResponse, byte[]> render;
    private final List<Runnable> onClose = new CopyOnWriteArrayList<>();
    private volatile ScheduledFuture<?> timeout;
    // guarded by this
    private boolean answered;
    private boolean ended;
    private byte[] body;
    private boolean written;

    private AsyncPendingAnswer(AsyncContext async, HttpServletResponse resp, Function<ApiResponse, byte[]> render) {
        this.async = async;
        this.resp = resp;
        this.render = render;
    }

    /**
     * Suspends the request and hands its pending answer to the producer; the calling thread returns at once.
     *
     * @param render sets the status and headers of an answer on the response and returns its body bytes (or none)
     */
    static void start(HttpServletRequest req, HttpServletResponse resp, ApiResponse.Deferred deferred,
                      ScheduledExecutorService timer, Function<ApiResponse, byte[]> render) {
        AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
        async.setTimeout(0);
        long waitMillis = Math.max(1, deferred.maxWait().toMillis());
        AsyncPendingAnswer pending = new AsyncPendingAnswer(async, resp, render);
        async.addListener(pending);
        pending.timeout = timer.schedule(() -> pending.answer(deferred.whenTimedOut()), waitMillis, TimeUnit.MILLISECONDS);
        DeferredAnswer producer = deferred.answer();
        try {
            producer.start(pending);
        } catch (Exception | LinkageError e) {
            LOG.error("a deferred answer failed to start; the request is answered 500", e);
            pending.answer(ApiResponse.status(500, java.util.Map.of("error", java.util.Map.of(
                    "code", "internal_error", "message", "the server failed to handle this request; see the server log"))));
        }
    }

    @Override
    public boolean answer(ApiResponse response) {
        if (!response.isPlain()) {
            throw new IllegalArgumentException("a pending answer takes a plain response (status, headers, JSON)");
        }
        synchronized (this) {
            if (answered || ended) {
                return false;
            }
            answered = true;
        }
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
        try {
            byte[] bytes = render.apply(response);
            synchronized (this) {
                body = bytes;
            }
            resp.getOutputStream().setWriteListener(this);
        } catch (IOException | RuntimeException e) {
            LOG.debug("a deferred answer could not be written: {}", e.toString());
            end(true);
        }
        return true;
    }

    @Override
    public synchronized boolean isOpen() {
        return !answered && !ended;
    }

    @Override
    public void onClose(Runnable action) {
        boolean runNow;
        synchronized (this) {
            runNow = ended;
            if (!runNow) {
                onClose.add(action);
            }
        }
        if (runNow) {
            action.run();
        }
    }

    @Override
    public void onWritePossible() throws IOException {
        ServletOutputStream out = resp.getOutputStream();
        byte[] toWrite;
        synchronized (this) {
            if (ended) {
                return;
            }
            toWrite = written ? null : body;
            written = true;
        }
        if (toWrite != null && toWrite.length > 0) {
            out.write(toWrite);
            if (!out.isReady()) {
                return; // called again once the bytes are out
            }
        }
        end(true);
    }

    @Override
    public void onError(Throwable t) {
        end(true);
    }

    /** Ends the request once: stops the timer, tells the producer. */
    private void end(boolean completeAsync) {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
        if (completeAsync) {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // completed already (the client left)
            }
        }
        for (Runnable r : onClose) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("a deferred answer's close action failed", e);
            }
        }
    }

    // AsyncListener: the container ends the request (client gone, server stopping)

    @Override
    public void onComplete(AsyncEvent event) {
        end(false);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        end(true);
    }

    @Override
    public void onError(AsyncEvent event) {
        end(true);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // not restarted
    }
}
