package io.printmaster.store.impl;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.printmaster.store.Database;
import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link Database} on embedded Derby and the one on PostgreSQL share: the pooled connections, transactions
 * (with the retry of a lost lock conflict and the actions after a commit), migrations, health, and the orderly close.
 * A subclass opens its engine and hands over the pool ({@link Opened}); it may shut its engine down after the pool is
 * closed ({@link #afterPoolClosed}).
 *
 * <p><b>Connections</b> come from a small HikariCP pool (see {@link #poolSize}). When every pooled connection has been
 * busy for {@value #POOL_WAIT_MILLIS} ms, up to as many again are opened outside the pool and closed after their work:
 * a burst, or a caller that (against the advice of {@link Database}) needs a second connection while holding one,
 * then waits for no one rather than for the pool's timeout. Beyond that, callers wait for a connection.
 *
 * <p>In-flight work holds a shared lock that {@link #close()} waits for (bounded), so the engine is not shut down under
 * a running transaction.
 */
abstract class JdbcDatabase implements Database {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcDatabase.class);
    private static final long CLOSE_WAIT_SECONDS = 30;
    /** How long a caller waits for a pooled connection before one outside the pool is opened. */
    static final long POOL_WAIT_MILLIS = 250;
    /** How long a caller waits for any connection at all before its work fails. */
    private static final long CONNECTION_WAIT_SECONDS = 30;

    /**
     * Deadlock victim, lock wait timeout, too much contention on an identity column's sequence (Derby), deadlock
     * (PostgreSQL), serialization failure, PostgreSQL's "could not serialize access" included (both 40001).
     */
    private static final Set<String> LOCK_CONFLICTS = Set.of("40001", "40XL1", "40XL2", "X0Y84", "40P01");

    /** An engine opened by a subclass: its pool and the unpooled source behind it, or why it could not be opened. */
    record Opened(HikariDataSource pool, DataSource direct, String failure) {
        static Opened failed(String failure) {
            return new Opened(null, null, failure);
        }
    }

    /** A store that could not even be configured (e.g. a malformed URL): always down, with the reason. */
    static final class Down extends JdbcDatabase {
        Down(String kind, String reason) {
            super(kind, "(unknown)", Opened.failed(reason), SqlDialect.DERBY);
        }
    }

    private final String kind;
    /** Where the database is, as shown in health and messages: never with a secret. */
    private final String where;
    private final String openFailure;
    private final HikariDataSource pool;
    private final DataSource direct;
    private final Semaphore overflow;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Migrations run one at a time in this process, whatever the module: DDL on shared catalogs and the version table. */
    private final Lock migrationLock = new ReentrantLock();
    /** Modules whose schema could not be brought up to date, with the reason, for {@link #state()}. */
    private final Map<String, String> schemaFailures = new ConcurrentSkipListMap<>();
    private final SchemaMigrator migrator;
    private final CommitActions commitActions = new CommitActions();
    private volatile boolean closed;

    JdbcDatabase(String kind, String where, Opened opened, SqlDialect dialect) {
        this.kind = kind;
        this.where = where;
        this.openFailure = opened.failure();
        this.pool = opened.pool();
        this.direct = opened.direct();
        this.overflow = new Semaphore(pool == null ? 0 : pool.getMaximumPoolSize());
        this.migrator = pool == null ? null : new SchemaMigrator(this::connection, dialect, schemaFailures);
        if (openFailure != null) {
            LOG.error("store is DOWN: {}", openFailure);
        } else {
            LOG.info("store open: {} database at {} ({} pooled connections)", kind, where, pool.getMaximumPoolSize());
        }
    }

    /**
     * The pool over {@code source}: {@code size} connections at most, kept open (embedded Derby and a nearby
     * PostgreSQL are both cheap to keep), each validated by the driver ({@code Connection.isValid}) before reuse.
     */
    static HikariDataSource pool(String name, DataSource source, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setDataSource(source);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(2, size));
        config.setAutoCommit(true);
        config.setConnectionTimeout(POOL_WAIT_MILLIS);
        // the store checked the database before; a pool that cannot connect later reports it per call
        config.setInitializationFailTimeout(-1);
        config.setIdleTimeout(TimeUnit.MINUTES.toMillis(5));
        config.setMaxLifetime(TimeUnit.MINUTES.toMillis(30));
        return new HikariDataSource(config);
    }

    /** Connections in the pool when the configuration does not say: twice the processors and a few more. */
    static int poolSize(int configured) {
        if (configured > 0) {
            return configured;
        }
        return 2 * Runtime.getRuntime().availableProcessors() + 4;
    }

    @Override
    public void migrate(String module, List<Migration> migrations) throws SchemaException {
        List<Migration> ordered = SchemaMigrator.validated(module, migrations);
        Lock shared = lifecycle.readLock();
        shared.lock();
        try {
            migrationLock.lock();
            try {
                if (closed || pool == null) {
                    throw new SchemaException("cannot migrate module " + module + ": store is down: " + downReason());
                }
                migrator.migrate(module, ordered);
            } finally {
                migrationLock.unlock();
            }
        } finally {
            shared.unlock();
        }
    }

    @Override
    public <T> T inTransaction(SqlWork<T> work) throws SQLException {
        Objects.requireNonNull(work, "work");
        Lock shared = lifecycle.readLock();
        shared.lock();
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            commitActions.begin(c);
            try {
                T result = work.run(c);
                c.commit();
                commitActions.committed(c);
                return result;
            } catch (Throwable e) {
                commitActions.discard(c);
                rollbackQuietly(c, e);
                throw e;
            }
        } finally {
            shared.unlock();
        }
    }

    @Override
    public void afterCommit(Connection connection, Runnable action) {
        commitActions.add(connection, action);
    }

    @Override
    public <T> T inRetryingTransaction(SqlWork<T> work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction(work);
            } catch (SQLException e) {
                if (attempt >= TRANSACTION_ATTEMPTS || !lostLockConflict(e)) {
                    throw e;
                }
                try {
                    // a random pause, growing with the attempts, so the two sides of a deadlock do not meet again
                    Thread.sleep(ThreadLocalRandom.current().nextLong(5, 25L * attempt * attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Whether {@code e} (or an exception it chains) says the transaction lost a lock conflict and was rolled back. */
    static boolean lostLockConflict(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            for (Throwable t = s; t != null; t = t.getCause()) {
                if (t instanceof SQLException q && q.getSQLState() != null && LOCK_CONFLICTS.contains(q.getSQLState())) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public <T> T read(SqlWork<T> work) throws SQLException {
        Objects.requireNonNull(work, "work");
        Lock shared = lifecycle.readLock();
        shared.lock();
        try (Connection c = connection()) {
            c.setReadOnly(true);
            return work.run(c);
        } finally {
            shared.unlock();
        }
    }

    /**
     * A pooled connection, or one outside the pool while the pool is exhausted (bounded, see the class comment).
     * Callers hold the shared lifecycle lock.
     */
    private Connection connection() throws SQLException {
        if (closed || pool == null) {
            throw new SQLException("store is down: " + downReason(), "08003");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECTION_WAIT_SECONDS);
        SQLTransientConnectionException exhausted;
        do {
            try {
                return pool.getConnection();
            } catch (SQLTransientConnectionException e) {
                exhausted = e;
            }
            if (overflow.tryAcquire()) {
                return Overflow.wrap(direct.getConnection(), overflow::release);
            }
            if (closed) {
                break;
            }
        } while (System.nanoTime() < deadline);
        throw new SQLException("store: no database connection free after " + CONNECTION_WAIT_SECONDS + " s ("
                + pool.getMaximumPoolSize() + " pooled and as many more in use)", "08001", exhausted);
    }

    @Override
    public StorageState state() {
        if (closed || pool == null) {
            return new StorageState(false, kind, downReason());
        }
        if (!schemaFailures.isEmpty()) {
            return new StorageState(false, kind, "schema problem: " + String.join("; ", schemaFailures.values()));
        }
        Lock shared = lifecycle.readLock();
        if (!shared.tryLock()) {
            return new StorageState(false, kind, "closing");
        }
        try (Connection c = connection()) {
            if (!c.isValid(5)) {
                return new StorageState(false, kind, "the database at " + where + " does not answer");
            }
            return new StorageState(true, kind, where);
        } catch (SQLException e) {
            return new StorageState(false, kind, "the database at " + where + " does not answer: " + describe(e));
        } finally {
            shared.unlock();
        }
    }

    private String downReason() {
        return openFailure != null ? openFailure : "closed";
    }

    /**
     * Closes the pool, then lets the subclass shut its engine down. Waits for in-flight work, at most
     * {@value #CLOSE_WAIT_SECONDS} seconds; new work is refused from the start.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Lock exclusive = lifecycle.writeLock();
        boolean locked = false;
        try {
            locked = exclusive.tryLock(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            if (!locked) {
                LOG.warn("store: work still running after {} s; closing the database anyway", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (pool != null) {
                pool.close();
                afterPoolClosed();
            }
        } finally {
            if (locked) {
                exclusive.unlock();
            }
        }
    }

    /** Runs once at {@link #close()}, after every pooled connection is closed. */
    void afterPoolClosed() {
    }

    static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** Timestamps are stored as UTC wall time, independent of the JVM's time zone. */
    static Calendar utc() {
        return Calendar.getInstance(TimeZone.getTimeZone("UTC"));
    }

    /** The driver's messages, with the SQLStates and the chained causes that carry the real reason (e.g. a lock). */
    static String describe(Throwable e) {
        StringBuilder out = new StringBuilder();
        List<Throwable> seen = new ArrayList<>();
        Throwable t = e;
        while (t != null && !seen.contains(t) && seen.size() < 5) {
            seen.add(t);
            String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (out.indexOf(message) < 0) {
                if (out.length() > 0) {
                    out.append(" <- ");
                }
                out.append(message);
                if (t instanceof SQLException sql && sql.getSQLState() != null) {
                    out.append(" (SQLState ").append(sql.getSQLState()).append(')');
                }
            }
            Throwable next = t instanceof SQLException sql ? sql.getNextException() : null;
            t = next != null ? next : t.getCause();
        }
        return out.toString();
    }

    static String abbreviate(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return flat.length() <= 120 ? flat : flat.substring(0, 117) + "...";
    }
}
