package io.printmaster.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One published signal (see {@link ClusterSignals}).
 *
 * @param seq the database's sequence number: unique, grows with publication (not strictly in commit order)
 * @param topic what changed
 * @param scope which one, or null for all
 * @param payload details, or null
 * @param publishedAt when the publishing replica recorded it
 * @since 1.2
 */
public record Signal(long seq, String topic, String scope, String payload, Instant publishedAt) {
    public Signal {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(publishedAt, "publishedAt");
    }
}
