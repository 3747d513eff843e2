package io.printmaster.http.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plain answer (JSON or none) given later, without a server thread waiting meanwhile: a long poll. The handler
 * returns {@link ApiResponse#deferred}; the dispatcher suspends the request and calls {@link #start} with the
 * {@link PendingAnswer} that whoever learns the answer completes, from any thread. When nobody answers within the
 * answer's time limit the dispatcher gives the time-out answer itself.
 *
 * @since 1.8
 */
@ConsumerType
@FunctionalInterface
public interface DeferredAnswer {
    /**
     * Called once the request is suspended. Must not block: answer at once if the answer is known, else hand
     * {@code pending} to whoever will answer (and forget it in {@link PendingAnswer#onClose}), then return.
     */
    void start(PendingAnswer pending) throws Exception;
}
