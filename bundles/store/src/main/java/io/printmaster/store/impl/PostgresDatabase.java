package io.printmaster.store.impl;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link io.printmaster.store.Database} on PostgreSQL, for several server replicas on one database: selected by
 * the framework property {@value StoreComponent#URL_PROPERTY} ({@code --database} / {@code PM_DATABASE_URL}). The
 * modules' migrations are translated by {@link PostgresDialect}; two replicas migrating at once take turns on an
 * advisory lock. Health shows the location without the password ({@link PostgresUrl#redacted()}).
 *
 * <p>When the server cannot be reached at start, the store keeps trying for {@code connectWaitSeconds} (PostgreSQL
 * starting beside the server), then reports itself down with the driver's reason, like a Derby database that cannot
 * be opened.
 */
public class PostgresDatabase extends JdbcDatabase {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresDatabase.class);
    private static final String KIND = "postgresql";
    /** How long a statement waits for a row lock before failing (as {@code derby.locks.waitTimeout} does). */
    private static final String SESSION_OPTIONS = "-c lock_timeout=20000";

    /**
     * @param url where, and as whom
     * @param poolSize connections in the pool; 0 for the default ({@link JdbcDatabase#poolSize})
     * @param connectWaitSeconds how long to keep trying to reach the server at start
     */
    private final PostgresUrl url;

    PostgresDatabase(PostgresUrl url, int poolSize, int connectWaitSeconds) {
        super(KIND, url.redacted(), open(url, poolSize(poolSize), connectWaitSeconds), new PostgresDialect());
        this.url = url;
    }

    PostgresUrl url() {
        return url;
    }

    /** For tests and tools: the database at {@code url} ({@code postgresql://user:password@host:port/database}). */
    public PostgresDatabase(String url) {
        this(PostgresUrl.parse(url), 0, 0);
    }

    static PGSimpleDataSource dataSource(PostgresUrl url) throws SQLException {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setServerNames(new String[] {url.host()});
        source.setPortNumbers(new int[] {url.port()});
        source.setDatabaseName(url.database());
        source.setUser(url.user());
        if (url.password() != null) {
            source.setPassword(url.password());
        }
        source.setApplicationName("printmaster");
        source.setConnectTimeout(10);
        source.setTcpKeepAlive(true);
        source.setReWriteBatchedInserts(true);
        source.setOptions(SESSION_OPTIONS);
        // read() marks its connection read-only in auto-commit mode: the server must refuse writes there too
        source.setReadOnlyMode("always");
        for (Map.Entry<String, String> p : url.parameters().entrySet()) {
            try {
                source.setProperty(p.getKey(), p.getValue());
            } catch (SQLException e) {
                throw new SQLException("the database URL's parameter '" + p.getKey() + "' is not a PostgreSQL driver"
                        + " property", "08001");
            }
        }
        return source;
    }

    private static Opened open(PostgresUrl url, int poolSize, int connectWaitSeconds) {
        long deadline = System.nanoTime() + connectWaitSeconds * 1_000_000_000L;
        PGSimpleDataSource source;
        try {
            source = dataSource(url);
        } catch (SQLException e) {
            return Opened.failed("cannot use the database at " + url.redacted() + ": " + e.getMessage());
        }
        boolean told = false;
        while (true) {
            try (Connection c = source.getConnection()) {
                SchemaMigrator.bootstrap(c, new PostgresDialect());
                return new Opened(pool("pm-store-postgresql", source, poolSize), source, null);
            } catch (SQLException | RuntimeException e) {
                if (System.nanoTime() >= deadline) {
                    return Opened.failed("cannot open the database at " + url.redacted() + ": " + describe(e));
                }
                if (!told) {
                    LOG.warn("store: the database at {} does not answer yet ({}); trying again for up to {} s",
                            url.redacted(), describe(e), connectWaitSeconds);
                    told = true;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return Opened.failed("interrupted while waiting for the database at " + url.redacted());
                }
            }
        }
    }
}
