package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Signals between the server's replicas through the shared database: a writer publishes a signal in the
 * transaction of its change; once that commits, every {@link SignalListener} of its topic is told, on this replica at
 * once (after the commit) and on the others within {@link #POLL_MILLIS} (each replica polls the table).
 *
 * <p>For what must follow a change on every replica and may be re-derived from the database: dropping a cached
 * answer, waking an agent's long-poll. Not a queue: a replica that was down when a signal was published does not
 * get it later (it starts with empty caches), and a signal may be delivered twice, so a listener's work must be
 * idempotent. Signals are kept for {@link #RETENTION_SECONDS} and then deleted.
 *
 * @since 1.2
 */
@ProviderType
public interface ClusterSignals {

    /** How often each replica reads the signals others published. */
    long POLL_MILLIS = 200;

    /**
     * How far back each poll looks: the longest a publishing transaction may run from {@link #publish} to its
     * commit, plus the clock difference between replicas, for other replicas still to see the signal.
     */
    long WINDOW_SECONDS = 15;

    /** How long a signal is kept in the table before it is deleted. */
    long RETENTION_SECONDS = 60;

    /**
     * Records a signal in the caller's transaction.
     *
     * @param topic what changed, a dotted name such as {@code fleet.policy} (1..64 characters)
     * @param scope which one, e.g. a fleet or agent id, or null for all (at most 128 characters)
     * @param payload small details for listeners (at most 4,000 characters), or null
     * @throws IllegalArgumentException when a value is blank where required or too long (the message names it)
     * @throws IllegalStateException when {@code connection} is not one of a running transaction
     */
    void publish(Connection connection, String topic, String scope, String payload) throws SQLException;
}
