package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The engine a contract test runs on: embedded Derby, or PostgreSQL when the system property {@value #ENGINE} is
 * {@code postgresql} (the store's second test run, see its pom). On PostgreSQL each database is a fresh one, created
 * through {@code PM_TEST_DATABASE_URL} (a URL whose user may create databases) and dropped when it is closed. Without
 * that URL the PostgreSQL run is skipped with a loud message, unless {@code PM_REQUIRE_POSTGRES=1}: then it fails.
 */
public final class TestDatabases {
    static final String ENGINE = "pm.test.engine";
    static final String URL_ENV = "PM_TEST_DATABASE_URL";

    private TestDatabases() {
    }

    public static boolean postgres() {
        return "postgresql".equals(System.getProperty(ENGINE));
    }

    /** A new, empty database: Derby in {@code dir}, or a fresh PostgreSQL database. */
    public static JdbcDatabase open(Path dir) {
        return postgres() ? freshPostgres() : new DerbyDatabase(dir.resolve("db"), Path.of("target", "derby.log"));
    }

    /** The admin URL of the PostgreSQL server the tests use; skips (or fails when required) without one. */
    public static String adminUrl() {
        String url = System.getenv(URL_ENV);
        if (url == null || url.isBlank()) {
            url = System.getProperty(URL_ENV.toLowerCase(Locale.ROOT).replace('_', '.'));
        }
        if (url == null || url.isBlank()) {
            String message = "PostgreSQL contract tests SKIPPED: " + URL_ENV + " is not set (./pm test starts a"
                    + " throwaway PostgreSQL when its binaries are installed)";
            if ("1".equals(System.getenv("PM_REQUIRE_POSTGRES"))) {
                fail(message.replace("SKIPPED", "REQUIRED") + "; PM_REQUIRE_POSTGRES=1");
            }
            System.err.println("!!!!! " + message);
            Assumptions.abort(message);
        }
        return url;
    }

    /** {@link #open} as the public store API, for tests outside this package; close it with {@link #close}. */
    public static io.printmaster.store.Database openDatabase(Path dir) {
        return open(dir);
    }

    public static void close(io.printmaster.store.Database db) {
        ((JdbcDatabase) db).close();
    }

    /**
     * Two stores on one fresh PostgreSQL database, as two server replicas have: the first drops the database when
     * closed (close the second before it).
     */
    public static List<io.printmaster.store.Database> twoReplicas() {
        PostgresUrl admin = PostgresUrl.parse(adminUrl());
        JdbcDatabase first = freshPostgres(admin);
        return List.of(first, new PostgresDatabase(((PostgresDatabase) first).url(), 0, 0));
    }

    private static JdbcDatabase freshPostgres() {
        return freshPostgres(PostgresUrl.parse(adminUrl()));
    }

    private static JdbcDatabase freshPostgres(PostgresUrl admin) {
        String name = "pm_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        execute(admin, "CREATE DATABASE " + name);
        return new PostgresDatabase(admin.withDatabase(name), 0, 0) {
            @Override
            void afterPoolClosed() {
                execute(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        };
    }

    static void execute(PostgresUrl url, String sql) {
        try {
            PGSimpleDataSource source = PostgresDatabase.dataSource(url);
            try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
