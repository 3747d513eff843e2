package io.printmaster.http.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The open end of an {@link EventStream}: frames handed to it are written to the client as the connection can take
 * them, without any thread waiting for the client. Safe to call from any thread; no method blocks.
 */
@ProviderType
public interface EventSink {
    /**
     * Queues one server-sent events frame (complete, ending with a blank line: {@code "id: 3\nevent: x\ndata: {}\n\n"}).
     *
     * @return false when the stream is closed (the client left, the server is stopping, or the client reads too
     *         slowly to keep up and was cut off); the frame is dropped
     */
    boolean send(String frame);

    /** Ends the stream once the frames queued so far are written. */
    void close();

    boolean isOpen();

    /** Runs {@code action} once when the stream ends, however it ends (at once if it has ended already). */
    void onClose(Runnable action);
}
