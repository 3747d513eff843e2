package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migrations and transactions against a real database, one for the whole class: embedded Derby, and PostgreSQL in the
 * store's second test run ({@link TestDatabases}).
 */
class DerbyDatabaseTest {
    @TempDir
    static Path dir;
    static JdbcDatabase db;

    @BeforeAll
    static void open() {
        db = TestDatabases.open(dir);
        assertTrue(db.state().up(), () -> "store should be up: " + db.state());
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private static Migration step(int version, String description, String... statements) {
        return new Migration(version, description, List.of(statements));
    }

    private static int schemaVersion(String module) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT VERSION FROM PM_SCHEMA_VERSION WHERE MODULE = ?")) {
                ps.setString(1, module);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }

    private static List<String> strings(String sql) throws SQLException {
        return db.read(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    private static boolean tableExists(String table) throws SQLException {
        return db.read(c -> {
            // Derby keeps unquoted names in upper case, PostgreSQL in lower case
            for (String name : List.of(table, table.toLowerCase(java.util.Locale.ROOT))) {
                try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), name, null)) {
                    if (rs.next()) {
                        return true;
                    }
                }
            }
            return false;
        });
    }

    private static List<Migration> notes() {
        return List.of(
                step(1, "notes table", "CREATE TABLE NOTES (ID INT PRIMARY KEY, TEXT VARCHAR(100))"),
                step(2, "first note", "INSERT INTO NOTES VALUES (1, 'one')"),
                step(3, "author column", "ALTER TABLE NOTES ADD COLUMN AUTHOR VARCHAR(50)",
                        "UPDATE NOTES SET AUTHOR = 'migration'"));
    }

    @Test
    void appliesMigrationsOnceAndInOrder() throws Exception {
        // given in reverse order: they still run 1, 2, 3 (2 needs the table of 1, 3 the row of 2)
        List<Migration> reversed = new ArrayList<>(notes());
        java.util.Collections.reverse(reversed);
        db.migrate("notes", reversed);

        assertEquals(3, schemaVersion("notes"));
        assertEquals(List.of("migration"), strings("SELECT AUTHOR FROM NOTES"));
        assertEquals(List.of("author column"),
                strings("SELECT DESCRIPTION FROM PM_SCHEMA_VERSION WHERE MODULE = 'notes'"));

        db.migrate("notes", notes());
        assertEquals(List.of("one"), strings("SELECT TEXT FROM NOTES"), "re-running must not repeat step 2");
        assertEquals(3, schemaVersion("notes"));
    }

    @Test
    void appliesOnlyTheNewSteps() throws Exception {
        db.migrate("growing", List.of(step(1, "table", "CREATE TABLE GROWING (N INT)")));
        db.migrate("growing", List.of(
                step(1, "table", "CREATE TABLE GROWING (N INT)"),
                step(2, "row", "INSERT INTO GROWING VALUES (2)")));
        assertEquals(2, schemaVersion("growing"));
        assertEquals(List.of("2"), strings("SELECT N FROM GROWING"));
    }

    @Test
    void refusesANewerSchemaAndChangesNothing() throws Exception {
        db.migrate("future", List.of(
                step(1, "table", "CREATE TABLE FUTURE (N INT)"),
                step(2, "row", "INSERT INTO FUTURE VALUES (2)"),
                step(3, "row", "INSERT INTO FUTURE VALUES (3)")));

        SchemaException e = assertThrows(SchemaException.class, () -> db.migrate("future", List.of(
                step(1, "table", "CREATE TABLE FUTURE (N INT)"),
                step(2, "dropping", "DROP TABLE FUTURE"))));

        assertEquals("database schema for module future is at version 3 but this code knows only up to 2: refusing"
                + " to run against a newer database; restore a backup or run the newer version", e.getMessage());
        assertEquals(3, schemaVersion("future"));
        assertEquals(List.of("2", "3"), strings("SELECT N FROM FUTURE ORDER BY N"));
        StorageState state = db.state();
        assertFalse(state.up());
        assertTrue(state.detail().contains("module future is at version 3"), state.detail());

        // running the code that knows version 3 again makes the store healthy again
        db.migrate("future", List.of(
                step(1, "table", "CREATE TABLE FUTURE (N INT)"),
                step(2, "row", "INSERT INTO FUTURE VALUES (2)"),
                step(3, "row", "INSERT INTO FUTURE VALUES (3)")));
        assertTrue(db.state().up(), () -> db.state().detail());
    }

    @Test
    void aFailingStepIsRolledBackAndNamed() throws Exception {
        Migration one = step(1, "table", "CREATE TABLE BROKEN (N INT)");
        SchemaException e = assertThrows(SchemaException.class, () -> db.migrate("broken", List.of(one,
                step(2, "second table and a typo", "CREATE TABLE BROKEN_TWO (N INT)", "INSERT INTO NO_SUCH_TABLE VALUES (1)"))));

        assertTrue(e.getMessage().startsWith("migration of module broken to version 2 (second table and a typo) failed"
                + " at statement 2 of 2 [INSERT INTO NO_SUCH_TABLE VALUES (1)]"), e.getMessage());
        assertTrue(e.getMessage().contains("NO_SUCH_TABLE"), e.getMessage());
        assertTrue(e.getMessage().endsWith("the module stays at version 1"), e.getMessage());
        assertEquals(1, schemaVersion("broken"), "step 1 is committed, step 2 is not");
        assertTrue(tableExists("BROKEN"));
        assertFalse(tableExists("BROKEN_TWO"), "the DDL of the failed step must be rolled back");
        assertFalse(db.state().up());
        assertTrue(db.state().detail().contains("module broken to version 2"), db.state().detail());

        db.migrate("broken", List.of(one, step(2, "second table", "CREATE TABLE BROKEN_TWO (N INT)")));
        assertEquals(2, schemaVersion("broken"));
        assertTrue(tableExists("BROKEN_TWO"));
        assertTrue(db.state().up(), () -> db.state().detail());
    }

    @Test
    void rejectsGapsDuplicatesAndBadModuleNames() throws Exception {
        Migration one = step(1, "a", "CREATE TABLE NEVER_CREATED (N INT)");
        IllegalArgumentException gap = assertThrows(IllegalArgumentException.class,
                () -> db.migrate("gappy", List.of(one, step(3, "c", "VALUES 1"))));
        assertTrue(gap.getMessage().contains("version 2 is missing"), gap.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> db.migrate("gappy", List.of(one, step(1, "again", "VALUES 1"), step(2, "b", "VALUES 1"))));
        assertTrue(twice.getMessage().contains("version 1 appears twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> db.migrate("gappy", List.of()));
        assertThrows(IllegalArgumentException.class, () -> db.migrate(" ", List.of(one)));
        assertThrows(IllegalArgumentException.class, () -> db.migrate("x".repeat(129), List.of(one)));

        assertEquals(0, schemaVersion("gappy"));
        assertFalse(tableExists("NEVER_CREATED"));
    }

    @Test
    void concurrentMigrationsOfDifferentModulesAndOfTheSameModuleAreSafe() throws Exception {
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                // two threads per module: the same module migrated twice at once must apply each step once
                String module = "parallel" + (i % 3);
                Callable<Void> task = () -> {
                    start.await();
                    db.migrate(module, List.of(
                            step(1, "table", "CREATE TABLE " + module.toUpperCase() + " (N INT)"),
                            step(2, "row", "INSERT INTO " + module.toUpperCase() + " VALUES (1)")));
                    return null;
                };
                done.add(pool.submit(task));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(2, schemaVersion("parallel" + i));
            assertEquals(List.of("1"), strings("SELECT N FROM PARALLEL" + i));
        }
    }

    @Test
    void aTransactionCommitsWhenTheWorkReturnsAndRollsBackWhenItThrows() throws Exception {
        db.migrate("tx", List.of(step(1, "table", "CREATE TABLE TX (NAME VARCHAR(20))")));

        String returned = db.inTransaction(c -> {
            insert(c, "kept");
            return "done";
        });
        assertEquals("done", returned);

        IllegalStateException runtime = assertThrows(IllegalStateException.class, () -> db.inTransaction(c -> {
            insert(c, "runtime");
            throw new IllegalStateException("boom");
        }));
        assertEquals("boom", runtime.getMessage());

        assertThrows(SQLException.class, () -> db.inTransaction(c -> {
            insert(c, "sql");
            insert(c, "this value is far too long for the column");
            return null;
        }));

        assertEquals(List.of("kept"), strings("SELECT NAME FROM TX"));
    }

    @Test
    void readIsReadOnly() throws Exception {
        db.migrate("ro", List.of(step(1, "table", "CREATE TABLE RO (NAME VARCHAR(20))")));
        assertThrows(SQLException.class, () -> db.read(c -> {
            insert(c, "RO", "nope");
            return null;
        }));
        assertEquals(List.of(), strings("SELECT NAME FROM RO"));
    }

    private static void insert(Connection c, String name) throws SQLException {
        insert(c, "TX", name);
    }

    private static void insert(Connection c, String table, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (NAME) VALUES (?)")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    /**
     * Two transactions that lock two rows in opposite orders deadlock for real; Derby rolls one back (40001). Plain
     * {@code inTransaction} hands that to the caller; {@code inRetryingTransaction} runs the victim again and both
     * updates land.
     */
    @Test
    void aDeadlockVictimIsRunAgainByTheRetryingTransaction() throws Exception {
        db.migrate("deadlock", List.of(step(1, "two rows", "CREATE TABLE DEADLOCK_T (ID INT PRIMARY KEY, N INT NOT NULL)",
                "INSERT INTO DEADLOCK_T VALUES (1, 0)", "INSERT INTO DEADLOCK_T VALUES (2, 0)")));
        assertEquals(List.of(1, 1), deadlock(true), "both transactions committed, the victim on its second run");
        SQLException plain = assertThrows(SQLException.class, () -> deadlock(false));
        assertTrue(DerbyDatabase.lostLockConflict(plain), "a lock conflict: " + plain.getSQLState() + " " + plain);
    }

    /** Runs the two crossing transactions; how often each one's work ran to its end. */
    private static List<Integer> deadlock(boolean retrying) throws Exception {
        CountDownLatch bothHoldTheirFirstRow = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int[] order : new int[][] {{1, 2}, {2, 1}}) {
                java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
                java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
                io.printmaster.store.Database.SqlWork<Integer> work = c -> {
                    bump(c, order[0]);
                    if (first.getAndSet(false)) {
                        bothHoldTheirFirstRow.countDown();
                        try {
                            bothHoldTheirFirstRow.await();
                        } catch (InterruptedException e) {
                            throw new SQLException(e);
                        }
                    }
                    bump(c, order[1]);
                    return finished.incrementAndGet();
                };
                Callable<Integer> run = () -> retrying ? db.inRetryingTransaction(work) : db.inTransaction(work);
                runs.add(pool.submit(run));
            }
            List<Integer> out = new ArrayList<>();
            for (Future<Integer> f : runs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof SQLException sql) {
                        throw sql;
                    }
                    throw e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void bump(Connection c, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE DEADLOCK_T SET N = N + 1 WHERE ID = ?")) {
            ps.setInt(1, id);
            ps.executeUpdate();
        }
    }
}
