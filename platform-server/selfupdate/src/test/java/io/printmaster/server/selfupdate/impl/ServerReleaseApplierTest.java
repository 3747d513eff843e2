package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.launcher.selfupdate.BackupRestore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apply step on a real framework context and a real Derby database: the mode decision (runtime, migrations,
 * engine), the refusals that change nothing, the restart hand-over, and the backup that the launcher restores.
 */
class ServerReleaseApplierTest {
    private static final String V1 = "-- alpha v1\nCREATE TABLE ALPHA_ONE (ID INT NOT NULL PRIMARY KEY);\n";
    private static final String V2 = "-- alpha v2\nCREATE TABLE ALPHA_TWO (ID INT NOT NULL PRIMARY KEY);\n";

    @TempDir
    Path dir;

    private ApplyFixture f;
    private final List<Integer> exits = new ArrayList<>();
    private final List<Map<String, Object>> progress = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        f = new ApplyFixture(dir, "1.0.0");
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private ServerReleaseApplier applier(Map<String, String> env) {
        return new ServerReleaseApplier(f.db, f.context(), env, exits::add);
    }

    private StagedRelease staged(Path slot, String to) {
        return new StagedRelease("run-1", "1.0.0", to, slot, null, null);
    }

    private void apply(ServerReleaseApplier a, StagedRelease r, String mode) throws SelfUpdateFailure {
        a.apply(r, mode, (status, detail) -> progress.add(detail));
    }

    @Test
    void aNewMigrationStepOrANewRuntimeMeansARestartAndWithoutTheEngineSoDoesABundleChange() throws Exception {
        ServerReleaseApplier a = applier(Map.of());
        ServerReleaseApplier.Decision migrates = a.decide(staged(f.slot("1.1.0", Map.of("db/alpha/V1.sql", V1,
                "db/alpha/V2.sql", V2, "db/beta/V1.sql", V1), false), "1.1.0"));
        assertEquals("restart", migrates.mode());
        assertEquals(Map.of("alpha", "1 → 2", "beta", "0 → 1"), migrates.pendingMigrations());

        ServerReleaseApplier.Decision runtime = a.decide(staged(f.slot("1.2.0", Map.of("db/alpha/V1.sql", V1), true),
                "1.2.0"));
        assertEquals("restart", runtime.mode());
        assertTrue(runtime.reason().contains("runtime"), runtime.reason());

        ServerReleaseApplier.Decision bundles = a.decide(staged(f.slot("1.3.0", Map.of("db/alpha/V1.sql", V1,
                "changed.txt", "x"), false), "1.3.0"));
        assertEquals("restart", bundles.mode(), "no hot-swap engine runs in this framework");
        assertTrue(bundles.reason().contains("hot-swap engine"), bundles.reason());
        assertTrue(bundles.pendingMigrations().isEmpty());
    }

    @Test
    void withoutASupervisorARestartIsRefusedBeforeAnythingChanges() throws Exception {
        Path slot = f.slot("1.1.0", Map.of("db/alpha/V2.sql", V2), false);
        SelfUpdateFailure e = assertThrows(SelfUpdateFailure.class, () -> apply(applier(Map.of()), staged(slot,
                "1.1.0"), "restart"));
        assertEquals("NOT_SUPERVISED", e.code());
        assertTrue(e.getMessage().contains("PM_SUPERVISED=1"), e.getMessage());
        assertFalse(Files.exists(f.data.resolve("selfupdate")), "no backup, no hand-over");
        assertFalse(Files.exists(f.root.resolve("versions/trial")));
        assertEquals(List.of(), exits);
    }

    @Test
    void aRestartBacksUpHandsOverWritesTheTrialAndAsksForExit75() throws Exception {
        Path slot = f.slot("1.1.0", Map.of("db/alpha/V1.sql", V1, "db/alpha/V2.sql", V2), false);
        apply(applier(Map.of("PM_SUPERVISED", "1")), staged(slot, "1.1.0"), "restart");

        assertEquals(List.of(75), exits);
        assertEquals("1.1.0", Files.readString(f.root.resolve("versions/trial")).strip());
        Map<String, Object> h = Handover.read(Handover.file(f.data)).orElseThrow();
        assertEquals("run-1", h.get("run_id"));
        assertEquals("1.0.0", h.get("from_version"));
        assertEquals("1.1.0", h.get("to_version"));
        assertEquals("prepared", h.get("phase"));
        Map<String, Object> backup = Handover.object(h, "backup");
        assertEquals("derby", backup.get("kind"));
        assertTrue(Files.isRegularFile(Path.of((String) backup.get("path")).resolve("service.properties")), backup.toString());
        assertTrue(progress.stream().anyMatch(d -> "restarting".equals(d.get("step"))), progress.toString());

        // a second run while this hand-over is pending is refused
        SelfUpdateFailure again = assertThrows(SelfUpdateFailure.class, () -> apply(applier(Map.of("PM_SUPERVISED",
                "1")), new StagedRelease("run-2", "1.0.0", "1.1.0", slot, null, null), "restart"));
        assertEquals("RESTART_FAILED", again.code());
        assertTrue(again.getMessage().contains("run-1"), again.getMessage());
    }

    @Test
    void aSlotWithoutTheLauncherScriptIsNotBootable() throws Exception {
        Path slot = f.slot("1.1.0", Map.of("db/alpha/V2.sql", V2), false);
        Files.delete(slot.resolve("bin/pm-server"));
        SelfUpdateFailure e = assertThrows(SelfUpdateFailure.class, () -> apply(applier(Map.of("PM_SUPERVISED", "1")),
                staged(slot, "1.1.0"), "restart"));
        assertEquals("STAGING_FAILED", e.code());
        assertFalse(Files.exists(Handover.file(f.data)));
    }

    @Test
    void theDerbyBackupRestoredByTheLauncherUndoesWhatCameAfterIt() throws Exception {
        DatabaseBackup backups = new DatabaseBackup(f.db, f.data, null, Map.of());
        DatabaseBackup.Taken taken = backups.take("run-1", true);
        f.db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE AFTER_BACKUP (ID INT NOT NULL PRIMARY KEY)");
                s.execute("INSERT INTO ALPHA_ONE (ID) VALUES (7)");
            }
            return null;
        });
        f.db.close();

        BackupRestore.restoreDerby(taken.path(), taken.database());

        var reopened = new io.printmaster.store.impl.DerbyDatabase(taken.database(), f.data.resolve("logs/d.log"));
        try {
            int rows = reopened.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM ALPHA_ONE");
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertEquals(0, rows, "the row written after the backup is gone");
            boolean table = reopened.read(c -> {
                try (ResultSet rs = c.getMetaData().getTables(null, null, "AFTER_BACKUP", null)) {
                    return rs.next();
                }
            });
            assertFalse(table, "the table created after the backup is gone");
        } finally {
            reopened.close();
        }
    }

    @Test
    void onlyTheNewestBackupsAreKept() throws Exception {
        DatabaseBackup backups = new DatabaseBackup(f.db, f.data, null, Map.of(DatabaseBackup.KEPT_ENV, "2"));
        for (String run : List.of("run-a", "run-b", "run-c")) {
            backups.take(run, true);
            Files.setLastModifiedTime(f.data.resolve("selfupdate/backups/" + run), java.nio.file.attribute.FileTime
                    .fromMillis(System.currentTimeMillis() - (run.equals("run-a") ? 3_000_000 : run.equals("run-b")
                            ? 2_000_000 : 0)));
            backups.prune(run);
        }
        try (Stream<Path> s = Files.list(f.data.resolve("selfupdate/backups"))) {
            assertEquals(List.of("run-b", "run-c"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
