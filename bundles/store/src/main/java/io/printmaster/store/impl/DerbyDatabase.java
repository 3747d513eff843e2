package io.printmaster.store.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.derby.jdbc.EmbeddedDataSource;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Database} on embedded Apache Derby, in {@code <pm.data.dir>/db} unless configuration PID
 * {@value #PID} sets {@code path}.
 *
 * <p><b>Failures are reported, not thrown, at activation.</b> When the database cannot be opened (folder not
 * writable, locked by another process, corrupt) this component still activates and registers the service, logs an
 * error naming the cause, and reports {@link #state()} down with that cause; {@link #migrate} then throws
 * {@link SchemaException} and the other calls {@link SQLException}. Throwing from activation instead would leave no
 * service at all, and the health endpoint could only say "no database" without the reason. Components that need
 * the store run {@code migrate} when they activate, so they fail to activate with the reason in their message.
 * Likewise a module whose migration fails, or whose schema is newer than its code, turns {@link #state()} down
 * (naming the module) until a later {@code migrate} of that module succeeds: a server running without one of its
 * modules' tables is not healthy.
 *
 * <p>Connections: one embedded connection per call, closed when the work returns. Embedded Derby connections are
 * cheap (no network, no authentication here), so a pool would add state without a measurable gain. In-flight work
 * holds a shared lock that {@link #close()} waits for (bounded), so the database is not shut down under a running
 * transaction.
 */
// immediate: open (or report why not) at startup, and do not shut Derby down whenever the last user lets go
@Component(service = Database.class, configurationPid = DerbyDatabase.PID, immediate = true)
@Designate(ocd = DerbyDatabase.Config.class)
public final class DerbyDatabase implements Database {

    /** Configuration PID of the store. */
    public static final String PID = "io.printmaster.store";
    /** Framework property holding the data directory (set by the launcher). */
    public static final String DATA_DIR_PROPERTY = "pm.data.dir";

    private static final Logger LOG = LoggerFactory.getLogger(DerbyDatabase.class);
    private static final String KIND = "derby";
    /** SQLState Derby reports for a database shut down as asked. */
    private static final String SHUTDOWN_DONE = "08006";
    private static final long CLOSE_WAIT_SECONDS = 30;

    @ObjectClassDefinition(name = "PrintMaster store", description = "The server's embedded Apache Derby database.")
    public @interface Config {
        @AttributeDefinition(name = "Database folder",
                description = "Folder of the Derby database. A relative path is resolved against the data"
                        + " directory (pm.data.dir). Empty: <data dir>/db.", required = false)
        String path() default "";
    }

    private final Path location;
    /** Why the database is not open, or null when it is. */
    private final String openFailure;
    /** Connections to the open database, or null when it could not be opened. */
    private final EmbeddedDataSource dataSource;
    /** In-flight work holds the read lock; {@link #close()} takes the write lock. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Migrations run one at a time, whatever the module: DDL on shared catalogs and the version table. */
    private final Lock migrationLock = new ReentrantLock();
    /** Modules whose schema could not be brought up to date, with the reason, for {@link #state()}. */
    private final Map<String, String> schemaFailures = new ConcurrentSkipListMap<>();
    /** Applies the modules' migrations; null when the database could not be opened. */
    private final SchemaMigrator migrator;
    private volatile boolean closed;
    private final CommitActions commitActions = new CommitActions();

    @Activate
    public DerbyDatabase(BundleContext context, Config config) {
        this(Location.of(context.getProperty(DATA_DIR_PROPERTY), config.path()),
                derbyLog(context.getProperty(DATA_DIR_PROPERTY)));
    }

    /**
     * Opens (creating when missing) the database in {@code folder}. Usable directly in tests and tools.
     *
     * @param derbyLog where Derby writes its own log ({@code derby.stream.error.file}) unless that system property is
     *     already set; null leaves Derby's default
     */
    public DerbyDatabase(Path folder, Path derbyLog) {
        this(new Location(Objects.requireNonNull(folder, "folder").toAbsolutePath(), null), derbyLog);
    }

    private DerbyDatabase(Location where, Path derbyLog) {
        this.location = where.folder();
        String failure = where.problem();
        EmbeddedDataSource source = null;
        if (failure == null) {
            configureDerbyLog(derbyLog);
            configureLockTimeouts();
            try {
                source = open(location);
            } catch (SQLException | IOException | RuntimeException e) {
                failure = "cannot open the database at " + location + ": " + describe(e);
            }
        }
        this.openFailure = failure;
        this.dataSource = source;
        this.migrator = source == null ? null : new SchemaMigrator(source, schemaFailures);
        if (failure != null) {
            LOG.error("store is DOWN: {}", failure);
        } else {
            LOG.info("store open: Derby database at {}", location);
        }
    }

    /** Where the database lives, or why that cannot be known. */
    record Location(Path folder, String problem) {
        static Location of(String dataDir, String configuredPath) {
            String configured = configuredPath == null ? "" : configuredPath.strip();
            Path data = dataDir == null || dataDir.isBlank() ? null : Path.of(dataDir).toAbsolutePath();
            if (!configured.isEmpty() && Path.of(configured).isAbsolute()) {
                return new Location(Path.of(configured).normalize(), null);
            }
            if (data == null) {
                return new Location(null, "no database location: neither the framework property "
                        + DATA_DIR_PROPERTY + " nor an absolute path in configuration " + PID + " is set");
            }
            return new Location(data.resolve(configured.isEmpty() ? "db" : configured).normalize(), null);
        }
    }

    private static Path derbyLog(String dataDir) {
        return dataDir == null || dataDir.isBlank() ? null : Path.of(dataDir, "logs", "derby.log");
    }

    /** Derby reads this system property once, when its engine boots; the launcher normally sets it already. */
    private static void configureDerbyLog(Path derbyLog) {
        if (derbyLog == null || System.getProperty("derby.stream.error.file") != null) {
            return;
        }
        try {
            Files.createDirectories(derbyLog.toAbsolutePath().getParent());
            System.setProperty("derby.stream.error.file", derbyLog.toAbsolutePath().toString());
        } catch (IOException e) {
            LOG.warn("cannot create {} for derby.log; Derby logs to its default place: {}", derbyLog, e.toString());
        }
    }

    /**
     * Derby looks for deadlocks only after a transaction waited {@code derby.locks.deadlockTimeout} (20 s by default)
     * and gives up on a lock after {@code derby.locks.waitTimeout} (60 s): on a check-in that many agents make at once,
     * a deadlock would stall both sides for 20 s. One second finds it while the victim can still be retried
     * ({@link #inRetryingTransaction}); 20 s is the longest an agent's request waits for a lock. Read once, when the
     * engine boots; a value set by the operator (a system property) wins.
     */
    private static void configureLockTimeouts() {
        if (System.getProperty("derby.locks.deadlockTimeout") == null) {
            System.setProperty("derby.locks.deadlockTimeout", "1");
        }
        if (System.getProperty("derby.locks.waitTimeout") == null) {
            System.setProperty("derby.locks.waitTimeout", "20");
        }
    }

    private static EmbeddedDataSource open(Path folder) throws SQLException, IOException {
        if (folder.getParent() != null) {
            Files.createDirectories(folder.getParent());
        }
        EmbeddedDataSource create = new EmbeddedDataSource();
        create.setDatabaseName(folder.toString());
        create.setCreateDatabase("create");
        try (Connection c = create.getConnection()) {
            SchemaMigrator.ensureVersionTable(c);
        }
        // Later connections must not silently create a new, empty database if the folder disappears.
        EmbeddedDataSource existing = new EmbeddedDataSource();
        existing.setDatabaseName(folder.toString());
        return existing;
    }

    @Override
    public void migrate(String module, List<Migration> migrations) throws SchemaException {
        List<Migration> ordered = SchemaMigrator.validated(module, migrations);
        Lock shared = lifecycle.readLock();
        shared.lock();
        try {
            migrationLock.lock();
            try {
                if (closed || dataSource == null) {
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
                    Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(5, 25L * attempt * attempt));
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

    /**
     * Deadlock victim, lock wait timeout, too much contention on an identity column's sequence (Derby), deadlock
     * (PostgreSQL), serialization failure (both).
     */
    private static final java.util.Set<String> LOCK_CONFLICTS = java.util.Set.of("40001", "40XL1", "40XL2", "X0Y84",
            "40P01");

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

    /** Callers hold the shared lifecycle lock. */
    private Connection connection() throws SQLException {
        if (closed || dataSource == null) {
            throw new SQLException("store is down: " + downReason(), "08003");
        }
        return dataSource.getConnection();
    }

    @Override
    public StorageState state() {
        if (closed || dataSource == null) {
            return new StorageState(false, KIND, downReason());
        }
        if (!schemaFailures.isEmpty()) {
            return new StorageState(false, KIND, "schema problem: " + String.join("; ", schemaFailures.values()));
        }
        Lock shared = lifecycle.readLock();
        if (!shared.tryLock()) {
            return new StorageState(false, KIND, "closing");
        }
        try (Connection c = connection()) {
            if (!c.isValid(5)) {
                return new StorageState(false, KIND, "the database at " + location + " does not answer");
            }
            return new StorageState(true, KIND, location.toString());
        } catch (SQLException e) {
            return new StorageState(false, KIND, "the database at " + location + " does not answer: " + describe(e));
        } finally {
            shared.unlock();
        }
    }

    private String downReason() {
        return openFailure != null ? openFailure : "closed";
    }

    /**
     * Shuts the database down cleanly (a checkpoint, so the next start needs no recovery). Waits for in-flight
     * work, at most {@value #CLOSE_WAIT_SECONDS} seconds; new work is refused from the start.
     */
    @Deactivate
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
                LOG.warn("store: work still running after {} s; shutting the database down anyway", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (dataSource != null) {
                shutdown();
            }
        } finally {
            if (locked) {
                exclusive.unlock();
            }
        }
    }

    private void shutdown() {
        EmbeddedDataSource stop = new EmbeddedDataSource();
        stop.setDatabaseName(location.toString());
        stop.setShutdownDatabase("shutdown");
        try (Connection c = stop.getConnection()) {
            LOG.warn("store: Derby did not confirm the shutdown of {}", location);
        } catch (SQLException e) {
            if (SHUTDOWN_DONE.equals(e.getSQLState())) {
                LOG.info("store closed: Derby database at {} shut down", location);
            } else {
                LOG.warn("store: unclean shutdown of {}: {}", location, describe(e));
            }
        }
    }

    static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    static Calendar utc() {
        return Calendar.getInstance(TimeZone.getTimeZone("UTC"));
    }

    /** Derby's messages, with the SQLStates and the chained causes that carry the real reason (e.g. a lock). */
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
