package io.printmaster.server.agents.impl;

import io.printmaster.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a check-in without consequences records ({@code last_seen_at}, the reported hostname, platform, arch and
 * version, {@code next_check_at}, {@code STALE_AFTER}), written behind: buffered per agent (the newest wins) and
 * written in batches every {@link #FLUSH_MILLIS} ms, and once more when the bundle stops.
 *
 * <p>Loss window: a crash (not a stop) loses what was buffered, at most the check-ins of the last
 * {@link #FLUSH_MILLIS} ms plus one flush; the agents' next check-ins record them again. Bounded: with
 * {@link #maxBuffered} agents waiting, a check-in of another agent is written at once (synchronously) instead of
 * buffered, so nothing is dropped beyond that window. A write never moves {@code LAST_SEEN_AT} back (a check-in
 * recorded in a transaction meanwhile keeps its newer values) and never touches a revoked agent.
 */
final class CheckInWriteBehind implements AutoCloseable {
    /** How often the buffer is written: the loss window of a crash (docs/api.md, docs/admin-guide.md). */
    static final long FLUSH_MILLIS = 500;
    /** Rows per transaction of a flush. */
    static final int BATCH_ROWS = 500;
    static final int MAX_BUFFERED = 100_000;

    private static final Logger LOG = LoggerFactory.getLogger(CheckInWriteBehind.class);
    private static final String UPDATE = "UPDATE PM_AGENT SET LAST_SEEN_AT = ?, HOSTNAME = ?, PLATFORM = ?, ARCH = ?,"
            + " CURRENT_VERSION = ?, NEXT_CHECK_AT = ?, STALE_AFTER = ? WHERE ID = ? AND REVOKED_AT IS NULL"
            + " AND (LAST_SEEN_AT IS NULL OR LAST_SEEN_AT <= ?)";

    /** One agent's newest check-in not yet written. */
    record Seen(String agentId, Instant at, AgentStore.AgentFacts facts, Instant nextCheckAt, Instant staleAfter) {
    }

    private final Database database;
    private final int maxBuffered;
    private final Map<String, Seen> buffer = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;

    /** @param flushMillis the flush period; 0 or less: none (tests flush by hand) */
    CheckInWriteBehind(Database database, int maxBuffered, long flushMillis) {
        this.database = database;
        this.maxBuffered = maxBuffered;
        if (flushMillis > 0) {
            flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pm-checkin-write-behind");
                t.setDaemon(true);
                return t;
            });
            flusher.scheduleWithFixedDelay(this::flushQuietly, flushMillis, flushMillis, TimeUnit.MILLISECONDS);
        } else {
            flusher = null;
        }
    }

    /**
     * Records a check-in: buffered, or written at once when the buffer is full.
     *
     * @return true when buffered, false when written synchronously
     */
    boolean record(Seen seen) throws SQLException {
        if (buffer.size() < maxBuffered || buffer.containsKey(seen.agentId())) {
            buffer.merge(seen.agentId(), seen, (old, now) -> now.at().isBefore(old.at()) ? old : now);
            return true;
        }
        database.inTransaction(c -> {
            write(c, List.of(seen));
            return null;
        });
        return false;
    }

    int buffered() {
        return buffer.size();
    }

    /** Writes everything buffered so far, in transactions of {@link #BATCH_ROWS} rows; a failed batch is kept. */
    void flush() throws SQLException {
        List<Seen> batch = new ArrayList<>(BATCH_ROWS);
        Iterator<String> agents = buffer.keySet().iterator();
        while (agents.hasNext()) {
            Seen s = buffer.remove(agents.next());
            if (s != null) {
                batch.add(s);
            }
            if (batch.size() == BATCH_ROWS) {
                writeBatch(batch);
                batch = new ArrayList<>(BATCH_ROWS);
            }
        }
        if (!batch.isEmpty()) {
            writeBatch(batch);
        }
    }

    private void writeBatch(List<Seen> batch) throws SQLException {
        try {
            database.inRetryingTransaction(c -> {
                write(c, batch);
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            // kept for the next flush unless a newer check-in of the agent arrived meanwhile
            for (Seen s : batch) {
                buffer.merge(s.agentId(), s, (newer, old) -> newer);
            }
            throw e;
        }
    }

    private static void write(Connection c, List<Seen> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UPDATE)) {
            for (Seen s : rows) {
                ps.setTimestamp(1, Timestamp.from(s.at()));
                ps.setString(2, s.facts().hostname());
                ps.setString(3, s.facts().platform());
                ps.setString(4, s.facts().arch());
                ps.setString(5, s.facts().currentVersion());
                ps.setTimestamp(6, s.nextCheckAt() == null ? null : Timestamp.from(s.nextCheckAt()));
                ps.setTimestamp(7, Timestamp.from(s.staleAfter()));
                ps.setString(8, s.agentId());
                ps.setTimestamp(9, Timestamp.from(s.at()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("writing {} buffered check-ins failed (kept for the next try): {}", buffer.size(), e.toString());
        }
    }

    /** Stops the timer and writes what is left (the bundle stops: nothing buffered is lost). */
    @Override
    public void close() {
        if (flusher != null) {
            flusher.shutdown();
            try {
                flusher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        flushQuietly();
    }
}
