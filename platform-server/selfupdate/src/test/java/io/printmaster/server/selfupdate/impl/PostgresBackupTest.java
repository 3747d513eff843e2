package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.printmaster.server.launcher.selfupdate.BackupRestore;
import io.printmaster.store.Migrations;
import io.printmaster.store.impl.PostgresDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL backup (the real {@code pg_dump}) and its restore by the launcher (the real {@code psql} and
 * {@code pg_restore}) on a fresh database of {@code PM_TEST_DATABASE_URL}; skipped without it (as the store's
 * PostgreSQL contract tests).
 */
class PostgresBackupTest {
    @TempDir
    Path dir;

    private String admin;
    private String url;
    private String name;

    @BeforeEach
    void create() throws Exception {
        admin = System.getenv("PM_TEST_DATABASE_URL");
        assumeTrue(admin != null && !admin.isBlank(), "PM_TEST_DATABASE_URL is not set");
        name = "pm_apply_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        psql(admin, "CREATE DATABASE " + name);
        url = admin.replaceFirst("/[^/?]*(\\?.*)?$", "/" + name);
    }

    @AfterEach
    void drop() throws Exception {
        if (name != null) {
            psql(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private static void psql(String url, String sql) throws Exception {
        Process p = new ProcessBuilder("psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--dbname=" + url, "-c", sql)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, sql + ": " + out);
    }

    @Test
    void theDumpRestoredByTheLauncherDropsWhatCameAfterIt() throws Exception {
        PostgresDatabase db = new PostgresDatabase(url);
        db.migrate("alpha", Migrations.fromClasspath(ApplyFixture.class, "it-alpha"));
        Path data = Files.createDirectories(dir.resolve("data"));
        DatabaseBackup.Taken taken = new DatabaseBackup(db, data, url, System.getenv()).take("run-pg", true);
        assertEquals("postgresql", taken.kind());
        assertTrue(Files.size(taken.path()) > 0, taken.toString());
        assertFalse(taken.toString().contains("password"));
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE AFTER_BACKUP (ID INT NOT NULL PRIMARY KEY)");
                s.execute("INSERT INTO ALPHA_ONE (ID) VALUES (7)");
            }
            return null;
        });
        db.close();

        BackupRestore.restore(taken.toJson(), "run-pg", data, url, System.getenv(),
                LoggerFactory.getLogger(PostgresBackupTest.class));
        // twice: a restore cut short is repeated at the next start
        BackupRestore.restore(taken.toJson(), "run-pg", data, url, System.getenv(),
                LoggerFactory.getLogger(PostgresBackupTest.class));

        PostgresDatabase reopened = new PostgresDatabase(url);
        try {
            assertEquals(0, (int) reopened.read(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM ALPHA_ONE")) {
                    rs.next();
                    return rs.getInt(1);
                }
            }), "the row written after the backup is gone");
            boolean table = reopened.read(c -> {
                try (ResultSet rs = c.getMetaData().getTables(null, null, "after_backup", null)) {
                    return rs.next();
                }
            });
            assertFalse(table, "the table created after the backup is gone");
        } finally {
            reopened.close();
        }
    }

    @Test
    void withoutPgDumpOrAHookTheBackupFailsBeforeAnythingChanges() throws Exception {
        PostgresDatabase db = new PostgresDatabase(url);
        try {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("PATH", dir.resolve("empty").toString());
            env.remove(DatabaseBackup.HOOK_ENV);
            Path data = Files.createDirectories(dir.resolve("data"));
            SelfUpdateFailure f = assertThrows(SelfUpdateFailure.class,
                    () -> new DatabaseBackup(db, data, url, env).take("run-pg", true));
            assertEquals("BACKUP_FAILED", f.code());
            assertTrue(f.getMessage().contains("pg_dump") && f.getMessage().contains(DatabaseBackup.HOOK_ENV),
                    f.getMessage());
            assertEquals(List.of(), Files.list(data.resolve("selfupdate/backups")).toList(), "nothing left behind");
            // no schema change: nothing to back up on PostgreSQL
            assertEquals("none", new DatabaseBackup(db, data, url, env).take("run-pg2", false).kind());
        } finally {
            db.close();
        }
    }
}
