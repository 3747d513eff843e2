package io.printmaster.http.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A long-lived {@code text/event-stream} answer ({@link ApiResponse#eventStream}) that holds no server thread while
 * it waits for events: the dispatcher answers 200, hands an {@link EventSink} to {@link #open} and returns the thread;
 * whoever produces events calls {@link EventSink#send} when they happen. The dispatcher sends keep-alive comments,
 * caps the number of open streams (server-wide 503, per client address 429) and closes streams whose client is gone.
 */
@ConsumerType
@FunctionalInterface
public interface EventStream {
    /**
     * Called once when the stream is open. Must not block: replay what is known, hand the sink to the producer
     * (and unsubscribe in {@link EventSink#onClose}), then return.
     */
    void open(EventSink sink) throws Exception;
}
