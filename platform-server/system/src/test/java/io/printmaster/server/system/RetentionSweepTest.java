package io.printmaster.server.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterLease;
import io.printmaster.store.RetentionSettings;
import io.printmaster.store.RetentionTask;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TimeZone;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep on a real Derby with the real audit log and lease: export first, then delete, in batches, crash-safe. */
class RetentionSweepTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static DerbyDatabase db;
    static JdbcAuditLog realAudit;
    static ClusterLease lease;

    @TempDir
    Path exports;

    @BeforeAll
    static void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        realAudit = new JdbcAuditLog(db);
        lease = new io.printmaster.store.impl.JdbcClusterLease(db);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @BeforeEach
    void empty() throws Exception {
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM AUDIT_LOG");
                return s.executeUpdate("DELETE FROM PM_LEASE");
            }
        });
    }

    /** {@code n} entries; the first {@code old} of them backdated to 400 days ago. Returns their ids in order. */
    private static List<Long> entries(int n, int old) throws Exception {
        db.inTransaction(c -> {
            for (int i = 0; i < n; i++) {
                realAudit.record(c, "alice", "fleet.update", "fleet:f" + i, i % 2 == 0 ? "lab" : null, null,
                        Map.of("n", i, "note", "line\nbreak"));
            }
            return null;
        });
        List<Long> ids = ids();
        List<Long> backdate = ids.subList(0, old);
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE AUDIT_LOG SET OCCURRED_AT = ? WHERE ID = ?")) {
                for (long id : backdate) {
                    ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(400))),
                            Calendar.getInstance(TimeZone.getTimeZone("UTC")));
                    ps.setLong(2, id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        return ids;
    }

    private static List<Long> ids() throws SQLException {
        return db.read(c -> {
            List<Long> ids = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT ID FROM AUDIT_LOG ORDER BY ID")) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            return ids;
        });
    }

    private static List<Long> idsIn(Path file) throws IOException {
        List<Long> ids = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode n = JSON.readTree(line);
            assertEquals(Set.of("id", "at", "actor", "action", "target", "fleet", "before", "after"),
                    iterable(n.fieldNames()), line);
            ids.add(n.get("id").asLong());
        }
        return ids;
    }

    private static Set<String> iterable(java.util.Iterator<String> it) {
        Set<String> s = new TreeSet<>();
        it.forEachRemaining(s::add);
        return s;
    }

    private List<Path> files(String suffix) throws IOException {
        try (Stream<Path> s = Files.list(exports)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    private RetentionSweep sweep(AuditLog audit) {
        return new RetentionSweep(db, audit, lease, Clock.fixed(NOW, ZoneOffset.UTC),
                new RetentionSweep.Settings(RetentionSettings.DEFAULTS, exports, Duration.ofHours(24), Duration.ZERO));
    }

    /** The real audit log, counting delete batches and failing the n-th delete or page when asked. */
    static final class Recording implements AuditLog {
        final List<Integer> deleteBatches = new ArrayList<>();
        int failDeleteAt = -1;
        int failPageAt = -1;
        int pages;

        @Override
        public void record(java.sql.Connection c, String actor, String action, String target, String fleet, Object before,
                           Object after) throws SQLException {
            realAudit.record(c, actor, action, target, fleet, before, after);
        }

        @Override
        public List<Entry> list(Query query) throws SQLException {
            return realAudit.list(query);
        }

        @Override
        public List<Entry> listOldestFirst(long afterId, Instant before, Optional<Set<String>> fleets, int limit)
                throws SQLException {
            if (++pages == failPageAt) {
                throw new SQLException("simulated crash while exporting");
            }
            return realAudit.listOldestFirst(afterId, before, fleets, limit);
        }

        @Override
        public int delete(Collection<Long> ids) throws SQLException {
            if (deleteBatches.size() + 1 == failDeleteAt) {
                throw new SQLException("simulated crash between export and delete");
            }
            deleteBatches.add(ids.size());
            return realAudit.delete(ids);
        }
    }

    @Test
    void oldEntriesAreExportedInIdOrderThenDeletedInBatchesOfAThousand() throws Exception {
        List<Long> all = entries(2600, 2300);
        Recording audit = new Recording();

        RetentionSweep.Result result = sweep(audit).sweep();

        assertTrue(result.ran());
        assertEquals(2300L, result.counts().get("audit_entries"));
        assertEquals(List.of(1000, 1000, 300), audit.deleteBatches);
        List<Path> written = files(".jsonl");
        assertEquals(1, written.size(), "one file per sweep");
        assertEquals(written, result.files());
        assertEquals(all.subList(0, 2300), idsIn(written.get(0)), "every old entry, oldest first, once");
        String name = written.get(0).getFileName().toString();
        assertEquals("audit-20251102-20251102-" + all.get(0) + "-" + all.get(2299) + ".jsonl", name);
        JsonNode first = JSON.readTree(Files.readAllLines(written.get(0)).get(0));
        assertEquals("line\nbreak", first.get("after").get("note").asText(), "after embedded as JSON, not a string");
        assertEquals("2025-11-02T12:00:00Z", first.get("at").asText());
        List<Long> left = ids();
        assertEquals(all.subList(2300, 2600), left.subList(0, 300), "the newer entries stay");
        assertEquals(301, left.size(), "plus the sweep's own entry");
        AuditLog.Entry own = realAudit.list(AuditLog.Query.latest(1)).get(0);
        assertEquals("retention.sweep", own.action());
        assertTrue(own.after().contains("\"audit_entries\":2300"), own.after());
        assertEquals(List.of(), files(AuditArchive.MARKER_SUFFIX), "no marker once done");
    }

    @Test
    void aCrashBetweenExportAndDeleteLosesNothingAndTheNextSweepFinishesWithoutDuplicates() throws Exception {
        List<Long> all = entries(2500, 2500);
        Recording crashing = new Recording();
        crashing.failDeleteAt = 2;

        assertThrows(SQLException.class, () -> sweep(crashing).sweep());

        Path file = files(".jsonl").get(0);
        assertEquals(all, idsIn(file), "the file was durable before anything was deleted");
        assertEquals(1, files(AuditArchive.MARKER_SUFFIX).size(), "the marker says the deletion is unfinished");
        List<Long> left = ids();
        assertEquals(1500, left.size(), "one batch went, the rest is still in the database");
        Set<Long> union = new TreeSet<>(left);
        union.addAll(idsIn(file));
        assertEquals(new TreeSet<>(all), union, "every entry is in the file or in the database");

        RetentionSweep.Result again = sweep(new Recording()).sweep();

        assertEquals(1500L, again.counts().get("audit_entries"), "the interrupted deletion finished");
        assertEquals(List.of(file), files(".jsonl"), "nothing exported twice");
        assertEquals(List.of(), files(AuditArchive.MARKER_SUFFIX));
        assertEquals(1, ids().size(), "only the second sweep's own entry is left");
    }

    @Test
    void aCrashWhileWritingTheFileDeletesNothingAndTheNextSweepStartsOver() throws Exception {
        List<Long> all = entries(2500, 2500);
        Recording crashing = new Recording();
        crashing.failPageAt = 2;

        assertThrows(SQLException.class, () -> sweep(crashing).sweep());

        assertEquals(List.of(), files(".jsonl"));
        assertEquals(1, files(".partial").size());
        assertEquals(all, ids(), "nothing deleted without a durable file");

        sweep(new Recording()).sweep();

        assertEquals(List.of(), files(".partial"), "the partial file is removed");
        assertEquals(all, idsIn(files(".jsonl").get(0)));
    }

    @Test
    void aLargeBacklogGoesIntoSeveralFiles() throws Exception {
        List<Long> all = entries(2500, 2500);
        AuditArchive archive = new AuditArchive(exports, realAudit, 1000);

        List<AuditArchive.Moved> moved = archive.sweep(NOW.minus(Duration.ofDays(365)), () -> true);

        assertEquals(3, moved.size());
        List<Long> exported = new ArrayList<>();
        for (AuditArchive.Moved m : moved) {
            exported.addAll(idsIn(m.file()));
        }
        assertEquals(all, exported);
        assertEquals(List.of(), ids());
    }

    @Test
    void anotherReplicaHoldingTheLeaseMeansNoSweepHere() throws Exception {
        List<Long> all = entries(10, 10);
        ClusterLease other = new io.printmaster.store.impl.JdbcClusterLease(db);
        assertTrue(other.tryAcquire(RetentionSweep.LEASE, Duration.ofMinutes(10)));

        RetentionSweep.Result result = sweep(realAudit).sweep();

        assertFalse(result.ran());
        assertEquals(all, ids());
        assertEquals(List.of(), files(".jsonl"));
    }

    @Test
    void aSweepThatDeletesNothingLeavesNoEntry() throws Exception {
        List<Long> all = entries(5, 0);

        RetentionSweep.Result result = sweep(realAudit).sweep();

        assertTrue(result.ran());
        assertEquals(0L, result.counts().get("audit_entries"));
        assertEquals(all, ids(), "no retention.sweep entry for a sweep that changed nothing");
        assertEquals(List.of(), files(".jsonl"));
    }

    @Test
    void tasksGetTheSettingsAndTheirCountsAreRecorded() throws Exception {
        List<RetentionSettings> applied = new ArrayList<>();
        RetentionTask task = new RetentionTask() {
            @Override
            public void apply(RetentionSettings settings) {
                applied.add(settings);
            }

            @Override
            public Map<String, Long> sweep(RetentionSettings settings, Instant now) {
                return Map.of("agent_commands", 7L);
            }
        };
        RetentionSweep sweep = sweep(realAudit);
        sweep.bindTask(task);

        RetentionSweep.Result result = sweep.sweep();

        assertEquals(List.of(RetentionSettings.DEFAULTS), applied);
        assertEquals(7L, result.counts().get("agent_commands"));
        assertTrue(realAudit.list(AuditLog.Query.latest(1)).get(0).after().contains("\"agent_commands\":7"));
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        assertEquals("io.printmaster.server.retention: retention audit_days must be at least 1, was 0",
                assertThrows(IllegalArgumentException.class,
                        () -> RetentionSweep.settings(config(0, 30, 0, 1000, ""), "/data")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RetentionSweep.settings(config(365, -1, 0, 1000, ""), "/data")).getMessage().contains("command_days"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RetentionSweep.settings(config(365, 30, -2, 1000, ""), "/data")).getMessage().contains("telemetry_days"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RetentionSweep.settings(config(365, 30, 0, 0, ""), "/data")).getMessage()
                .contains("telemetry_rows_per_agent"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RetentionSweep.settings(config(365, 30, 0, 1000, "relative/dir"), "/data")).getMessage()
                .contains("export_dir must be an absolute path"));

        RetentionSweep.Settings defaults = RetentionSweep.settings(config(365, 30, 0, 1000, ""), "/data");
        assertEquals(RetentionSettings.DEFAULTS, defaults.retention());
        assertEquals(Path.of("/data/exports/audit"), defaults.exportDir());
        assertEquals(Path.of("/archive"), RetentionSweep.settings(config(365, 30, 0, 1000, "/archive"), "/data").exportDir());
    }

    private static RetentionSweep.Config config(int auditDays, int commandDays, int telemetryDays, int rows, String exportDir) {
        return new RetentionSweep.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RetentionSweep.Config.class;
            }

            @Override
            public int audit__days() {
                return auditDays;
            }

            @Override
            public int command__days() {
                return commandDays;
            }

            @Override
            public int telemetry__days() {
                return telemetryDays;
            }

            @Override
            public int telemetry__rows__per__agent() {
                return rows;
            }

            @Override
            public int rollup__days() {
                return 400;
            }

            @Override
            public int sync__history__days() {
                return 90;
            }

            @Override
            public String export__dir() {
                return exportDir;
            }

            @Override
            public int interval__hours() {
                return 24;
            }

            @Override
            public int first__run__delay__seconds() {
                return 60;
            }
        };
    }
}
