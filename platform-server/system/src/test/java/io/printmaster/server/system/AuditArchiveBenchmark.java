package io.printmaster.server.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit part of the retention sweep on a Derby filled in bulk with {@code bench.rows} (200,000) entries of a
 * realistic size (a policy-sized {@code after} document, ~600 bytes): how long the export and the deletion take and
 * how much heap they hold. Not part of the normal test run (its name does not end in Test); run it with
 * {@code mvn -o -pl platform-server/system verify -Dtest=AuditArchiveBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class AuditArchiveBenchmark {
    static final int ROWS = Integer.getInteger("bench.rows", 200_000);
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    @TempDir
    Path dir;

    @Test
    void exportThenDelete() throws Exception {
        DerbyDatabase db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        try {
            JdbcAuditLog audit = new JdbcAuditLog(db);
            String after = "{\"policy\":{\"auto_update\":true,\"channel\":\"stable\",\"pin\":\"minor\",\"target_version\":null,"
                    + "\"update_check_days\":1,\"maintenance_window\":{\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
                    + "\"start\":\"02:00\",\"end\":\"04:00\",\"timezone\":\"Europe/Berlin\"},\"rollout\":{\"waves\":[10,50,100],"
                    + "\"wave_delay_hours\":24,\"max_concurrent\":50,\"success_threshold\":0.95}},\"note\":\""
                    + "x".repeat(200) + "\"}";
            long fill = System.nanoTime();
            for (int done = 0; done < ROWS; done += 10_000) {
                int from = done;
                db.inTransaction(c -> {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO AUDIT_LOG (OCCURRED_AT, ACTOR, ACTION,"
                            + " TARGET, FLEET, BEFORE_JSON, AFTER_JSON) VALUES (?, 'admin', 'policy.update', ?, 'lab', NULL, ?)")) {
                        for (int i = from; i < Math.min(ROWS, from + 10_000); i++) {
                            ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(800)).plusSeconds(i)),
                                    Calendar.getInstance(TimeZone.getTimeZone("UTC")));
                            ps.setString(2, "fleet:f" + (i % 100));
                            ps.setString(3, after);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                    return null;
                });
            }
            System.out.printf("filled %d entries in %d ms%n", ROWS, (System.nanoTime() - fill) / 1_000_000);
            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            HeapWatch watch = new HeapWatch();
            watch.start();
            long t0 = System.nanoTime();
            List<AuditArchive.Moved> moved = new AuditArchive(dir.resolve("exports"), audit)
                    .sweep(NOW.minus(Duration.ofDays(365)), () -> true);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            watch.stop();
            assertEquals(1, moved.size());
            assertEquals(ROWS, moved.get(0).deleted());
            long bytes = Files.size(moved.get(0).file());
            System.out.printf("exported and deleted %d entries (%d MB file) in %d ms: %.0f entries/s; heap used before %d MB,"
                            + " peak during %d MB%n", ROWS, bytes >> 20, ms, ROWS * 1000.0 / ms, heapBefore >> 20,
                    watch.peak >> 20);
        } finally {
            db.close();
        }
    }

    /** Samples the used heap every 50 ms. */
    /** Samples the heap in use every 50 ms on a timer thread, keeping the peak. */
    static final class HeapWatch {
        private final java.util.concurrent.ScheduledExecutorService timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        volatile long peak;

        void start() {
            Runtime rt = Runtime.getRuntime();
            timer.scheduleAtFixedRate(() -> peak = Math.max(peak, rt.totalMemory() - rt.freeMemory()), 0, 50,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        void stop() throws InterruptedException {
            timer.shutdownNow();
            timer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
