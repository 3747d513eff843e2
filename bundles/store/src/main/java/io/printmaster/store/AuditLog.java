package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
     * @throws IllegalArgumentException when actor, action or target is blank, or a value is longer than its
     *     column (actor 200, action 100, target 500, fleet 200 characters); the message names the field
     */
    void record(Connection connection, String actor, String action, String target, String fleet, Object before, Object after)
            throws SQLException;

    /** Newest first (highest id first), filtered and limited by {@code query}. */
    List<Entry> list(Query query) throws SQLException;

    /**
     * Oldest first (lowest id first): the entries with an id above {@code afterId} that occurred before
     * {@code occurredBefore}, of {@code fleets} when present (server-wide entries excluded; an empty set matches
     * nothing). For reading the whole log in bounded pages: pass the last id of the previous page.
     *
     * @param limit at most this many (1..{@value Query#MAX_EXPORT_LIMIT})
     * @throws IllegalArgumentException when limit is out of range
     * @since 1.2
     */
    List<Entry> listOldestFirst(long afterId, Instant occurredBefore, Optional<Set<String>> fleets, int limit)
            throws SQLException;

    /**
     * Deletes the entries with these ids, in one transaction, for the retention sweep only (which deletes an entry
     * only once it is in a durable export file). Ids that are gone already are skipped.
     *
     * @param ids at most {@value Query#MAX_EXPORT_LIMIT}
     * @return how many entries were deleted
     * @throws IllegalArgumentException when there are more ids than that
     * @since 1.2
     */
    int delete(java.util.Collection<Long> ids) throws SQLException;

    /** {@code before} and {@code after} are the stored JSON documents. */
    record Entry(long id, Instant at, String actor, String action, String target, String fleet, String before, String after) {
    }

    /**
     * @param target only entries whose target equals this, when present
     * @param targetPrefix only entries whose target starts with this, when present (e.g. {@code fleet:})
     * @param fleets when present, only entries of these fleets (server-wide entries excluded); an empty set
     *     matches nothing
     * @param beforeId paging: only entries with an id below this (pass the last id of the previous page)
     * @param limit at most this many (1..{@value #MAX_LIMIT})
     * @throws IllegalArgumentException when limit is out of range
     */
    record Query(Optional<String> target, Optional<String> targetPrefix, Optional<Set<String>> fleets,
                 Optional<Long> beforeId, int limit) {

        public static final int MAX_LIMIT = 500;
        /** The largest page of {@link #listOldestFirst} and batch of {@link #delete}. @since 1.2 */
        public static final int MAX_EXPORT_LIMIT = 1000;

        public Query {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(targetPrefix, "targetPrefix");
            Objects.requireNonNull(beforeId, "beforeId");
            fleets = Objects.requireNonNull(fleets, "fleets").map(Set::copyOf);
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
            }
        }

        /** The newest {@code limit} entries, unfiltered. */
        public static Query latest(int limit) {
            return new Query(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), limit);
        }
    }
}
