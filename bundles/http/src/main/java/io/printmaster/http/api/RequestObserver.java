package io.printmaster.http.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service told of every request the API dispatcher ({@code /api/*}) answered, once its answer is
 * complete: for metrics and similar accounting, so the HTTP bundle depends on no metrics library. An answer written
 * later (a download, an event stream, a body read without a thread) is reported when it ends.
 *
 * <p>Called on the thread that finished the request: it must be quick and must not block. What it throws is logged
 * and ignored; it never changes or breaks the request.
 *
 * @since 1.7
 */
@ConsumerType
public interface RequestObserver {
    void observed(ObservedRequest request);

    /**
     * One answered request.
     *
     * @param route         the matched route's path template ({@code /api/v1/fleets/{id}}), never the raw path; null
     *                      when no route matched (404, 405)
     * @param method        the request method, upper case, as the client sent it
     * @param status        the status answered
     * @param durationNanos from the request's arrival until its answer was complete
     * @param bytesSent     for a download, the body bytes handed to the connection (less than announced when the
     *                      client went away); 0 otherwise
     * @param downloadKind  for a download (a file or range-writer body, as {@link Downloads} answers), what it serves:
     *                      the route template's last fixed segment before its first parameter
     *                      ({@code /api/v1/installers/{fleet}/{platform}} → {@code installers}); null for any other
     *                      answer
     * @param eventStream   whether the answer was an event stream ({@code text/event-stream}): then the duration is
     *                      how long the stream stayed open, not how long the server took to answer
     */
    record ObservedRequest(String route, String method, int status, long durationNanos, long bytesSent,
                           String downloadKind, boolean eventStream) {
        /** Whether the answer was a download's body. */
        public boolean download() {
            return downloadKind != null;
        }
    }
}
