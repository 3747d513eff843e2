package io.printmaster.http.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The open end of a {@link DeferredAnswer}: the first {@link #answer} is written to the client (without any thread
 * waiting for the client), later ones are ignored. Safe to call from any thread; no method blocks.
 *
 * @since 1.8
 */
@ProviderType
public interface PendingAnswer {
    /**
     * Answers the request with a plain response: a status, headers and a JSON body or none (not an event stream, a
     * file or a raw body).
     *
     * @return true when this call answered; false when the request was answered already, timed out or ended
     * @throws IllegalArgumentException when {@code response} is not a plain response
     */
    boolean answer(ApiResponse response);

    /** False once answered, timed out, or ended by the client or the server stopping. */
    boolean isOpen();

    /** Runs {@code action} once when the request ends, however it ends (at once if it has ended already). */
    void onClose(Runnable action);
}
