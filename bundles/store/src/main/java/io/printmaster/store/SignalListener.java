package io.printmaster.store;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told of {@link ClusterSignals} of its topics. Register it with the service property
 * {@value #TOPICS} (a String or String[] of exact topics, or prefixes ending in {@code *}).
 *
 * <p>Called on the committing thread (this replica) or on the signals' polling thread (others): return quickly
 * and do not block (wake a waiter, drop a cache entry, hand work to an executor).
 *
 * @since 1.2
 */
@ConsumerType
public interface SignalListener {

    /** Service property naming the topics a listener wants. */
    String TOPICS = "signal.topics";

    void signalled(Signal signal);
}
