package io.printmaster.http.impl;

import io.printmaster.http.api.RequestObserver;
import io.printmaster.http.api.RequestObserver.ObservedRequest;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher's {@link RequestObserver}s, and the bookkeeping of one request for them: when it arrived, which
 * route it matched, whether its body is a download. A request answered on its own thread is reported when the
 * dispatch returns; one that went asynchronous (a body read without a thread, a download, an event stream) when its
 * async context completes, so the status and duration are those of the whole answer.
 */
final class RequestObservers {
    private static final Logger LOG = LoggerFactory.getLogger(RequestObservers.class);
    /** An observer that keeps failing must not fill the log: one warning per this many failures. */
    private static final long WARN_EVERY = 1000;

    private final List<RequestObserver> observers = new CopyOnWriteArrayList<>();
    private final AtomicLong failures = new AtomicLong();

    void add(RequestObserver observer) {
        observers.add(observer);
    }

    void remove(RequestObserver observer) {
        observers.remove(observer);
    }

    /** Starts the bookkeeping of a request that has just arrived. */
    Exchange begin(HttpServletRequest req, HttpServletResponse resp) {
        return new Exchange(req.getMethod(), resp);
    }

    /**
     * What a download's kind is: the route template's last fixed segment before its first parameter (the last segment
     * when it has none), so the kinds are as few as the routes that serve downloads.
     */
    static String kindOf(String template) {
        String kind = "";
        for (String segment : template.split("/")) {
            if (segment.startsWith("{")) {
                break;
            }
            if (!segment.isEmpty()) {
                kind = segment;
            }
        }
        return kind;
    }

    private void report(ObservedRequest request) {
        for (RequestObserver o : observers) {
            try {
                o.observed(request);
            } catch (RuntimeException | LinkageError e) {
                if (failures.getAndIncrement() % WARN_EVERY == 0) {
                    LOG.warn("request observer {} failed (ignored; logged once per {} failures)", o, WARN_EVERY, e);
                }
            }
        }
    }

    /** One request on its way to an answer. */
    final class Exchange implements AsyncListener {
        private final long started = System.nanoTime();
        private final String method;
        private final HttpServletResponse resp;
        private final AtomicBoolean reported = new AtomicBoolean();
        private volatile String route;
        private volatile String downloadKind;
        private volatile LongSupplier bytesSent = () -> 0;
        private volatile boolean eventStream;

        private Exchange(String method, HttpServletResponse resp) {
            this.method = method;
            this.resp = resp;
        }

        /** The request matched this route. */
        void route(String template) {
            this.route = template;
        }

        /** The answer's body is a download; {@code sent} tells how many of its bytes went out so far. */
        void download(LongSupplier sent) {
            if (route != null) {
                this.downloadKind = kindOf(route);
                this.bytesSent = sent;
            }
        }

        /** The answer is an event stream, open until its producer or its client ends it. */
        void eventStream() {
            this.eventStream = true;
        }

        /**
         * The dispatch has returned: report now, or, when the request went asynchronous, once it completes (Jetty runs
         * async completions after the dispatch that started them has returned, so the listener is never late).
         */
        void dispatched(HttpServletRequest req) {
            if (observers.isEmpty()) {
                return;
            }
            if (req.isAsyncStarted()) {
                try {
                    req.getAsyncContext().addListener(this);
                    return;
                } catch (IllegalStateException completedMeanwhile) {
                    // fall through: the answer is complete
                }
            }
            finish();
        }

        private void finish() {
            if (reported.compareAndSet(false, true)) {
                report(new ObservedRequest(route, method, resp.getStatus(), System.nanoTime() - started,
                        downloadKind == null ? 0 : bytesSent.getAsLong(), downloadKind, eventStream));
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            finish();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // completion follows
        }

        @Override
        public void onError(AsyncEvent event) {
            // completion follows
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // still the same request
        }
    }
}
