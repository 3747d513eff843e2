package io.printmaster.store.impl;

import io.printmaster.store.Database;
import io.printmaster.store.SchemaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import org.apache.derby.jdbc.EmbeddedDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Database} on embedded Apache Derby (the default, zero-setup store), in {@code <pm.data.dir>/db} unless
 * configuration PID {@value StoreComponent#PID} sets {@code path}. Registered by {@link StoreComponent} when no
 * PostgreSQL URL is configured.
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
 * <p>Connections come from a pool ({@link JdbcDatabase}): opening an embedded connection per call cost a check-in
 * six of them. At {@link #close()} the pool is closed, then Derby shuts the database down (a checkpoint, so the next
 * start needs no recovery).
 */
public final class DerbyDatabase extends JdbcDatabase {

    /** Framework property holding the data directory (set by the launcher). */
    public static final String DATA_DIR_PROPERTY = "pm.data.dir";

    private static final Logger LOG = LoggerFactory.getLogger(DerbyDatabase.class);
    private static final String KIND = "derby";
    /** SQLState Derby reports for a database shut down as asked. */
    private static final String SHUTDOWN_DONE = "08006";

    private final Path location;

    /**
     * Opens (creating when missing) the database in {@code folder}, with the default pool size. Usable directly in
     * tests and tools.
     *
     * @param derbyLog where Derby writes its own log ({@code derby.stream.error.file}) unless that system property is
     *     already set; null leaves Derby's default
     */
    public DerbyDatabase(Path folder, Path derbyLog) {
        this(new Location(Objects.requireNonNull(folder, "folder").toAbsolutePath(), null), derbyLog, 0);
    }

    /** @param poolSize connections in the pool; 0 for the default ({@link JdbcDatabase#poolSize}) */
    DerbyDatabase(Location where, Path derbyLog, int poolSize) {
        this(where, prepared(where, derbyLog, poolSize));
    }

    private DerbyDatabase(Location where, Opened opened) {
        super(KIND, String.valueOf(where.folder()), opened, SqlDialect.DERBY);
        this.location = where.folder();
    }

    private static Opened prepared(Location where, Path derbyLog, int poolSize) {
        if (where.problem() != null) {
            return Opened.failed(where.problem());
        }
        configureDerbyLog(derbyLog);
        configureLockTimeouts();
        return open(where.folder(), poolSize(poolSize));
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
                        + DATA_DIR_PROPERTY + " nor an absolute path in configuration " + StoreComponent.PID + " is set");
            }
            return new Location(data.resolve(configured.isEmpty() ? "db" : configured).normalize(), null);
        }
    }

    static Path derbyLog(String dataDir) {
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

    private static Opened open(Path folder, int poolSize) {
        try {
            if (folder.getParent() != null) {
                Files.createDirectories(folder.getParent());
            }
            EmbeddedDataSource create = new EmbeddedDataSource();
            create.setDatabaseName(folder.toString());
            create.setCreateDatabase("create");
            try (Connection c = create.getConnection()) {
                SchemaMigrator.bootstrap(c, SqlDialect.DERBY);
            }
            // Later connections must not silently create a new, empty database if the folder disappears.
            EmbeddedDataSource existing = new EmbeddedDataSource();
            existing.setDatabaseName(folder.toString());
            return new Opened(pool("pm-store-derby", existing, poolSize), existing, null);
        } catch (SQLException | IOException | RuntimeException e) {
            return Opened.failed("cannot open the database at " + folder + ": " + describe(e));
        }
    }

    /** Shuts Derby's database down once the pool has closed every connection. */
    @Override
    void afterPoolClosed() {
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
}
