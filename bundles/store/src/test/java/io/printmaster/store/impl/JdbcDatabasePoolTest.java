package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool: reuse, and the connections opened beside it when it is exhausted (embedded Derby, a pool of one). */
class JdbcDatabasePoolTest {
    @TempDir
    Path dir;
    JdbcDatabase db;

    @BeforeEach
    void open() {
        db = new DerbyDatabase(new DerbyDatabase.Location(dir.resolve("db"), null), Path.of("target", "derby.log"), 1);
        assertTrue(db.state().up(), () -> db.state().detail());
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aCallNeedingASecondConnectionWhileTheOnlyPooledOneIsBusyIsServedBesideThePool() throws Exception {
        long started = System.nanoTime();
        int seen = db.inTransaction(outer -> db.read(inner -> {
            assertNotSame(outer, inner);
            try (PreparedStatement ps = inner.prepareStatement("SELECT COUNT(*) FROM PM_SCHEMA_VERSION");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }));
        assertEquals(0, seen);
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "no wait for the pool's timeout");
    }

    @Test
    void theStateAndTransactionsStayCorrectWhenManyCallersShareOnePooledConnection() throws Exception {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("CREATE TABLE COUNTER (N INT)")) {
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO COUNTER VALUES (0)")) {
                ps.execute();
            }
            return null;
        });
        int callers = 8;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            runs.add(pool.submit(() -> {
                start.await();
                for (int n = 0; n < each; n++) {
                    db.inRetryingTransaction(c -> {
                        try (PreparedStatement ps = c.prepareStatement("UPDATE COUNTER SET N = N + 1")) {
                            return ps.executeUpdate();
                        }
                    });
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> run : runs) {
            run.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        int total = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT N FROM COUNTER"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertEquals(callers * each, total, "every committed increment counted once");
        assertTrue(db.state().up(), db.state().detail());
        // a connection back from a read is writable again in the next transaction (the pool resets read-only)
        db.read(c -> null);
        assertEquals(1, (int) db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE COUNTER SET N = 0")) {
                return ps.executeUpdate();
            }
        }));
    }

    @Test
    void aConnectionReturnedToThePoolHasNoTransactionLeftOpen() throws Exception {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("CREATE TABLE T (N INT)")) {
                ps.execute();
            }
            return null;
        });
        try {
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO T VALUES (1)")) {
                    ps.execute();
                }
                throw new java.sql.SQLException("the work fails");
            });
        } catch (java.sql.SQLException expected) {
            // rolled back
        }
        int rows = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM T"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertEquals(0, rows);
        assertTrue(db.read(Connection::getAutoCommit), "the pooled connection is back in auto-commit mode");
    }
}
