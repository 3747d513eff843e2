package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Who changed what, when, with the state before and after. Writers record inside their own transaction so the
 * change and its audit entry commit or roll back together.
 */
@ProviderType
public interface AuditLog {

    /**
     * Records one change on the writer's connection (same transaction as the change).
     *
     * @param actor user or token name
     * @param action dotted verb, e.g. {@code fleet.create}, {@code policy.update}
     * @param target what was changed, e.g. {@code fleet:lab}
     * @param fleet the fleet the change belongs to, or null for server-wide changes; a caller restricted to
     *     some fleets sees only their entries
     * @param before the previous state (a record or map, stored as JSON with the API's snake_case names), or null
     *     when created
     * @param after the new state, or null when deleted
     */
    void record(Connection connection, String actor, String action, String target, String fleet, Object before, Object after)
            throws SQLException;

    /** Newest first. */
    List<Entry> list(Query query) throws SQLException;

    /** {@code before} and {@code after} are the stored JSON documents. */
    record Entry(long id, Instant at, String actor, String action, String target, String fleet, String before, String after) {
    }

    /**
     * @param target only entries whose target equals this, when present
     * @param targetPrefix only entries whose target starts with this, when present (e.g. {@code fleet:})
     * @param fleets when present, only entries of these fleets (server-wide entries excluded)
     * @param beforeId paging: only entries with an id below this
     * @param limit at most this many (1..500)
     */
    record Query(Optional<String> target, Optional<String> targetPrefix, Optional<java.util.Set<String>> fleets,
                 Optional<Long> beforeId, int limit) {
    }
}
