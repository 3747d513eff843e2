package io.printmaster.store;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a bundle deletes of its own tables when it outlives the server's {@link RetentionSettings}: a whiteboard
 * service the retention sweep calls once a day on one replica (under the lease {@code retention.sweep}). The audit
 * log is swept by the sweep itself (exported first); tasks cover the rest (agent commands, telemetry, roll-ups).
 *
 * @since 1.2
 */
@ConsumerType
public interface RetentionTask {

    /**
     * The settings now in force: called when the task arrives and whenever they change, before any {@link #sweep}.
     * Must return fast (remember what applies, e.g. a per-row cap enforced on insert).
     */
    default void apply(RetentionSettings settings) {
    }

    /**
     * Deletes what is older than {@code settings} allow at {@code now}, in bounded transactions (a batch of at most
     * about 1,000 rows each, so a large backlog neither holds long locks nor grows one transaction without bound).
     *
     * @return how many rows went, by kind (e.g. {@code agent_commands}), for the sweep's log and audit entry
     */
    Map<String, Long> sweep(RetentionSettings settings, Instant now) throws SQLException;
}
