package io.printmaster.store.impl;

import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The modules' versioned schemas: one row per module in {@value #VERSION_TABLE}, each step applied with its version
 * row in one transaction. The caller ({@link JdbcDatabase}) runs one migration at a time and keeps the store open
 * meanwhile; a module whose migration fails is put in {@code schemaFailures} (the store reports itself down naming it)
 * until a later migration of that module succeeds.
 */
final class SchemaMigrator {
    static final String VERSION_TABLE = "PM_SCHEMA_VERSION";
    static final int MAX_MODULE_LENGTH = 128;
    private static final int MAX_DESCRIPTION = 500;
    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

    /** Where the migrator's connections come from (the store's, so it waits for and overflows the pool alike). */
    @FunctionalInterface
    interface Connections {
        Connection get() throws SQLException;
    }

    private final Connections dataSource;
    private final SqlDialect dialect;
    private final Map<String, String> schemaFailures;

    SchemaMigrator(Connections dataSource, SqlDialect dialect, Map<String, String> schemaFailures) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.schemaFailures = schemaFailures;
    }

    /**
     * Brings {@code module} from its recorded version to the newest of {@code ordered} (validated, ascending). Each
     * step reads the recorded version again in its own transaction, under the dialect's migration lock: another
     * process migrating the same database at the same time (a second replica starting) waits for the step, then
     * finds it applied and goes on with the next.
     */
    void migrate(String module, List<Migration> ordered) throws SchemaException {
        int newest = ordered.get(ordered.size() - 1).version();
        while (true) {
            Migration next = nextStep(module, ordered, newest);
            if (next == null) {
                break;
            }
        }
        schemaFailures.remove(module);
    }

    /** Applies the step after the recorded version; null when there is none left. */
    private Migration nextStep(String module, List<Migration> ordered, int newest) throws SchemaException {
        try (Connection c = dataSource.get()) {
            c.setAutoCommit(false);
            int current;
            try {
                dialect.lockMigrations(c);
                current = currentVersion(c, module);
            } catch (SQLException e) {
                JdbcDatabase.rollbackQuietly(c, e);
                throw failed(module, "cannot read the schema version of module " + module + ": "
                        + JdbcDatabase.describe(e), e);
            }
            if (current > newest) {
                JdbcDatabase.rollbackQuietly(c, new SQLException("refused"));
                throw failed(module, "database schema for module " + module + " is at version " + current
                        + " but this code knows only up to " + newest + ": refusing to run against a newer"
                        + " database; restore a backup or run the newer version", null);
            }
            for (Migration m : ordered) {
                if (m.version() > current) {
                    apply(c, module, m, current);
                    return m;
                }
            }
            c.rollback(); // nothing to do: ends the transaction, which releases the lock
            return null;
        } catch (SQLException e) {
            throw failed(module, "migration of module " + module + " failed: " + JdbcDatabase.describe(e), e);
        }
    }

    /**
     * Creates the version table when it is missing, and lets the dialect prepare the database, under the migration
     * lock (two processes opening a new database at once).
     */
    static void bootstrap(Connection c, SqlDialect dialect) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            dialect.lockMigrations(c);
            if (!versionTableExists(c)) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE " + VERSION_TABLE + " ("
                            + "MODULE VARCHAR(" + MAX_MODULE_LENGTH + ") NOT NULL PRIMARY KEY, "
                            + "VERSION INT NOT NULL, "
                            + "DESCRIPTION VARCHAR(" + MAX_DESCRIPTION + ") NOT NULL, "
                            + "APPLIED_AT TIMESTAMP NOT NULL)");
                }
            }
            dialect.prepare(c);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            JdbcDatabase.rollbackQuietly(c, e);
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** Derby keeps unquoted names in upper case, PostgreSQL in lower case. */
    private static boolean versionTableExists(Connection c) throws SQLException {
        for (String name : List.of(VERSION_TABLE, VERSION_TABLE.toLowerCase(java.util.Locale.ROOT))) {
            try (ResultSet tables = c.getMetaData().getTables(null, c.getSchema(), name, null)) {
                if (tables.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    static List<Migration> validated(String module, List<Migration> migrations) {
        if (module == null || module.isBlank()) {
            throw new IllegalArgumentException("module must not be blank");
        }
        if (module.length() > MAX_MODULE_LENGTH) {
            throw new IllegalArgumentException("module must be at most " + MAX_MODULE_LENGTH + " characters");
        }
        if (migrations == null || migrations.isEmpty()) {
            throw new IllegalArgumentException("module " + module + ": no migrations given");
        }
        List<Migration> ordered = new ArrayList<>(migrations);
        if (ordered.contains(null)) {
            throw new IllegalArgumentException("module " + module + ": migrations must not contain null");
        }
        ordered.sort(Comparator.comparingInt(Migration::version));
        for (int i = 0; i < ordered.size(); i++) {
            int expected = i + 1;
            int actual = ordered.get(i).version();
            if (actual != expected) {
                throw new IllegalArgumentException("module " + module + ": migrations must be numbered 1, 2, 3..."
                        + " each once: " + (actual < expected ? "version " + actual + " appears twice"
                        : "version " + expected + " is missing"));
            }
        }
        return ordered;
    }

    private static int currentVersion(Connection c, String module) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT VERSION FROM " + VERSION_TABLE + " WHERE MODULE = ?")) {
            ps.setString(1, module);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    /** One step and its version row in the transaction of {@code c}: both or neither. */
    private void apply(Connection c, String module, Migration m, int previous) throws SchemaException {
        String where = "migration of module " + module + " to version " + m.version() + " (" + m.description() + ")";
        int statement = 0;
        try {
            try (Statement s = c.createStatement()) {
                for (String sql : m.statements()) {
                    statement++;
                    s.execute(dialect.translate(sql));
                }
            }
            statement = 0;
            recordVersion(c, module, m, previous);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            JdbcDatabase.rollbackQuietly(c, e);
            String at = statement > 0
                    ? " at statement " + statement + " of " + m.statements().size() + " ["
                    + JdbcDatabase.abbreviate(m.statements().get(statement - 1)) + "]"
                    : " while recording the version";
            throw failed(module, where + " failed" + at + ": " + JdbcDatabase.describe(e)
                    + "; the step was rolled back, the module stays at version " + previous, e);
        }
        LOG.info("module {}: schema migrated to version {} ({})", module, m.version(), m.description());
    }

    private static void recordVersion(Connection c, String module, Migration m, int previous) throws SQLException {
        String description = m.description().length() > MAX_DESCRIPTION
                ? m.description().substring(0, MAX_DESCRIPTION) : m.description();
        Timestamp now = Timestamp.from(Instant.now());
        if (previous == 0) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + VERSION_TABLE
                    + " (MODULE, VERSION, DESCRIPTION, APPLIED_AT) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, module);
                ps.setInt(2, m.version());
                ps.setString(3, description);
                ps.setTimestamp(4, now, JdbcDatabase.utc());
                ps.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + VERSION_TABLE
                + " SET VERSION = ?, DESCRIPTION = ?, APPLIED_AT = ? WHERE MODULE = ? AND VERSION = ?")) {
            ps.setInt(1, m.version());
            ps.setString(2, description);
            ps.setTimestamp(3, now, JdbcDatabase.utc());
            ps.setString(4, module);
            ps.setInt(5, previous);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("the version row of module " + module + " changed concurrently");
            }
        }
    }

    private SchemaException failed(String module, String message, Exception cause) {
        schemaFailures.put(module, message);
        LOG.error("store: {}", message);
        return cause == null ? new SchemaException(message) : new SchemaException(message, cause);
    }
}
