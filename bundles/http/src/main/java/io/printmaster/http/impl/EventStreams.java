package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.EventStream;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open event streams: how many the server and each client address may hold, and the start of one on the
 * Servlet async API (no thread per stream; {@link AsyncEventSink} writes with a {@code WriteListener}).
 */
final class EventStreams {
    private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

    /** The caps in force, changed with the dispatcher's configuration. */
    record Limits(int maxStreams, int maxStreamsPerAddress, long keepAliveMillis) {
    }

    private final ScheduledExecutorService timer;
    private volatile Limits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    EventStreams(ScheduledExecutorService timer, Limits limits) {
        this.timer = timer;
        this.limits = limits;
    }

    void limits(Limits limits) {
        this.limits = limits;
    }

    int open() {
        return open.get();
    }

    /** A place among the open streams, given back exactly once when the stream ends. */
    final class Slot {
        private final String address;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        private Slot(String address) {
            this.address = address;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                open.decrementAndGet();
                perAddress.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
            }
        }
    }

    /**
     * Takes a place for a stream of {@code address}.
     *
     * @throws ApiException 503 when the server holds its most streams, 429 when this address does
     */
    Slot reserve(String address) throws ApiException {
        Limits l = limits;
        // the address first: one address at its cap hears so (429) even when the server is full too
        AtomicInteger mine = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
        if (mine.incrementAndGet() > l.maxStreamsPerAddress()) {
            giveBack(address, mine);
            throw new ApiException(429, "too_many_streams", "this address holds its most open event streams ("
                    + l.maxStreamsPerAddress() + "); close one first").withHeader("Retry-After", "30");
        }
        if (open.incrementAndGet() > l.maxStreams()) {
            open.decrementAndGet();
            giveBack(address, mine);
            throw new ApiException(503, "too_many_streams", "the server holds its most open event streams ("
                    + l.maxStreams() + "); try again later").withHeader("Retry-After", "30");
        }
        return new Slot(address);
    }

    private void giveBack(String address, AtomicInteger count) {
        count.decrementAndGet();
        perAddress.computeIfPresent(address, (a, c) -> c.get() <= 0 ? null : c);
    }

    /**
     * Goes async and opens the stream. The response's status and headers are set already; the thread returns at once.
     */
    void start(HttpServletRequest req, HttpServletResponse resp, EventStream stream, Slot slot) throws IOException {
        AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
        async.setTimeout(0); // the stream ends when its producer or its client does, not on a timer
        AsyncEventSink sink = new AsyncEventSink(async, resp.getOutputStream(), slot::release, timer, limits.keepAliveMillis());
        async.addListener(sink);
        resp.flushBuffer();
        resp.getOutputStream().setWriteListener(sink);
        try {
            stream.open(sink);
        } catch (Exception e) {
            LOG.error("an event stream failed to open; it is closed", e);
            sink.close();
        }
    }
}
