package io.printmaster.http.impl;

import io.printmaster.http.api.EventSink;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One open event stream written with non-blocking I/O: frames wait in a queue and are written while the connection
 * {@linkplain ServletOutputStream#isReady() is ready}; when it is not, Jetty calls {@link #onWritePossible} later.
 * No thread waits for the client. A keep-alive comment every so often finds clients that left (the write fails),
 * and a client that stops reading while events keep coming is cut off once {@value #MAX_QUEUED} frames wait.
 */
final class AsyncEventSink implements EventSink, WriteListener, AsyncListener {
    static final int MAX_QUEUED = 1000;
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final Runnable release;
    private final List<Runnable> onClose = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> keepAlive;
    // guarded by this
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean flushPending;
    private boolean closing;
    private boolean ended;

    AsyncEventSink(AsyncContext async, ServletOutputStream out, Runnable release, ScheduledExecutorService timer,
                   long keepAliveMillis) {
        this.async = async;
        this.out = out;
        this.release = release;
        this.keepAlive = timer.scheduleAtFixedRate(() -> enqueue(KEEP_ALIVE), keepAliveMillis, keepAliveMillis,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean send(String frame) {
        return enqueue(frame.getBytes(StandardCharsets.UTF_8));
    }

    private boolean enqueue(byte[] bytes) {
        synchronized (this) {
            if (closing || ended) {
                return false;
            }
            if (queue.size() >= MAX_QUEUED) {
                // the client does not read: drop it rather than hold its events in memory without bound
                queue.clear();
                closing = true;
            } else {
                queue.add(bytes);
            }
        }
        drain();
        return true;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closing || ended) {
                return;
            }
            closing = true;
        }
        drain();
    }

    @Override
    public synchronized boolean isOpen() {
        return !closing && !ended;
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
    public void onWritePossible() {
        drain();
    }

    /** Writes what is queued while the connection takes it; completes the stream once closing and empty. */
    private void drain() {
        boolean complete = false;
        synchronized (this) {
            if (ended) {
                return;
            }
            try {
                while (out.isReady()) {
                    if (flushPending) {
                        flushPending = false;
                        out.flush();
                        continue;
                    }
                    byte[] next = queue.poll();
                    if (next == null) {
                        complete = closing;
                        break;
                    }
                    out.write(next);
                    flushPending = true;
                }
            } catch (IOException | IllegalStateException e) {
                complete = true;
            }
        }
        if (complete) {
            end(true);
        }
    }

    @Override
    public void onError(Throwable t) {
        end(true);
    }

    /** Ends the stream once: stops the keep-alive, gives its place back, tells the producer. */
    private void end(boolean completeAsync) {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            queue.clear();
        }
        keepAlive.cancel(false);
        release.run();
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
                org.slf4j.LoggerFactory.getLogger(AsyncEventSink.class).warn("an event stream's close action failed", e);
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
