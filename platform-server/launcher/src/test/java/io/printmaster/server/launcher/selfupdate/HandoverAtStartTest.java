package io.printmaster.server.launcher.selfupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The launcher's side of the self-update hand-over, on real files: trial watchdog, restore of the backup, refusals. */
class HandoverAtStartTest {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverAtStartTest.class);

    @TempDir
    Path dir;

    private Path data;
    private Path program;

    private void layout(String ownVersion) throws IOException {
        data = Files.createDirectories(dir.resolve("data"));
        program = Files.createDirectories(dir.resolve("program-" + ownVersion));
        Files.writeString(program.resolve("VERSION"), ownVersion + "\n");
    }

    /** A Derby-like database folder: what matters to the restore is that the folder is replaced whole. */
    private static Path database(Path folder, String content) throws IOException {
        Files.createDirectories(folder.resolve("seg0"));
        Files.writeString(folder.resolve("service.properties"), "derby\n");
        Files.writeString(folder.resolve("seg0/c10.dat"), content);
        return folder;
    }

    private Map<String, Object> handover(String phase, Map<String, Object> backup) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("run_id", "run-1");
        h.put("from_version", "1.0.0");
        h.put("to_version", "1.1.0");
        h.put("mode", "restart");
        h.put("backup", backup);
        h.put("created_at", "2026-01-01T00:00:00Z");
        h.put("phase", phase);
        return h;
    }

    @Test
    void withoutAHandOverNothingHappens() throws Exception {
        layout("1.0.0");
        assertEquals(HandoverAtStart.Action.NONE, HandoverAtStart.run(data, program, null, Map.of(), LOG, code -> { }));
    }

    @Test
    void theOldVersionRestoresTheDerbyBackupOnceAfterTheTrialBooted() throws Exception {
        layout("1.0.0");
        Path live = database(data.resolve("db"), "migrated by 1.1.0 with rows written during the trial");
        Path backup = database(data.resolve("selfupdate/backups/run-1/db"), "as 1.0.0 left it");
        Map<String, Object> b = Map.of("kind", "derby", "path", backup.toString(), "database", live.toString());
        HandoverFile.write(HandoverFile.of(data), handover("booted", b));

        assertEquals(HandoverAtStart.Action.RESTORED, HandoverAtStart.run(data, program, null, Map.of(), LOG,
                code -> { }));
        assertEquals("as 1.0.0 left it", Files.readString(live.resolve("seg0/c10.dat")));
        assertFalse(Files.exists(data.resolve("db.restoring")) || Files.exists(data.resolve("db.replaced")));
        Map<String, Object> after = HandoverFile.read(HandoverFile.of(data)).orElseThrow();
        assertTrue(after.get("restored_at") != null, "recorded for the bundle: " + after);
        assertEquals("1.1.0", after.get("to_version"), "the rest is kept: " + after);

        // a write after the restore is not undone by a second start
        Files.writeString(live.resolve("seg0/c10.dat"), "written by 1.0.0 after the restore");
        assertEquals(HandoverAtStart.Action.ALREADY_RESTORED, HandoverAtStart.run(data, program, null, Map.of(), LOG,
                code -> { }));
        assertEquals("written by 1.0.0 after the restore", Files.readString(live.resolve("seg0/c10.dat")));
    }

    @Test
    void aRestoreCutShortIsRepeatedWhole() throws Exception {
        layout("1.0.0");
        Path backup = database(data.resolve("selfupdate/backups/run-1/db"), "as 1.0.0 left it");
        // the crash came after the live folder was renamed away and before the copy took its place
        database(data.resolve("db.replaced"), "migrated");
        Files.createDirectories(data.resolve("db.restoring/seg0"));
        Files.writeString(data.resolve("db.restoring/seg0/c10.dat"), "half a cop");
        Map<String, Object> b = Map.of("kind", "derby", "path", backup.toString(), "database",
                data.resolve("db").toString());
        HandoverFile.write(HandoverFile.of(data), handover("booted", b));

        HandoverAtStart.run(data, program, null, Map.of(), LOG, code -> { });
        assertEquals("as 1.0.0 left it", Files.readString(data.resolve("db/seg0/c10.dat")));
        assertTrue(Files.isRegularFile(data.resolve("db/service.properties")));
    }

    @Test
    void aTrialThatNeverBootedChangedNothingSoNothingIsRestored() throws Exception {
        layout("1.0.0");
        Path live = database(data.resolve("db"), "1.0.0 still writing");
        Path backup = database(data.resolve("selfupdate/backups/run-1/db"), "older");
        HandoverFile.write(HandoverFile.of(data), handover("prepared", Map.of("kind", "derby", "path",
                backup.toString(), "database", live.toString())));
        assertEquals(HandoverAtStart.Action.NOTHING_TO_RESTORE, HandoverAtStart.run(data, program, null, Map.of(), LOG,
                code -> { }));
        assertEquals("1.0.0 still writing", Files.readString(live.resolve("seg0/c10.dat")));
    }

    @Test
    void aMissingBackupStopsTheStartNamingIt() throws Exception {
        layout("1.0.0");
        database(data.resolve("db"), "migrated");
        HandoverFile.write(HandoverFile.of(data), handover("booted", Map.of("kind", "derby", "path",
                data.resolve("selfupdate/backups/run-1/db").toString(), "database", data.resolve("db").toString())));
        IOException e = assertThrows(IOException.class, () -> HandoverAtStart.run(data, program, null, Map.of(), LOG,
                code -> { }));
        assertTrue(e.getMessage().contains("run-1/db"), e.getMessage());
        assertEquals("migrated", Files.readString(data.resolve("db/seg0/c10.dat")), "the live folder is kept");
    }

    @Test
    void theTrialIsMarkedBootedAndItsWatchdogExits75WhenNothingCommits() throws Exception {
        layout("1.1.0");
        HandoverFile.write(HandoverFile.of(data), handover("prepared", Map.of("kind", "none")));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        assertEquals(HandoverAtStart.Action.TRIAL_ARMED, HandoverAtStart.run(data, program, null,
                Map.of(HandoverAtStart.HEALTH_TIMEOUT_ENV, "1"), LOG, exit::complete, Duration.ofMillis(200)));
        assertEquals("booted", HandoverFile.read(HandoverFile.of(data)).orElseThrow().get("phase"),
                "written before the framework (and the migrations) start");
        assertEquals(75, exit.get(30, TimeUnit.SECONDS));
        Object outcome = HandoverFile.read(HandoverFile.of(data)).orElseThrow().get("outcome");
        assertTrue(String.valueOf(outcome).contains("HEALTH_CHECK_FAILED"), String.valueOf(outcome));
    }

    @Test
    void aCommittedTrialIsLeftRunning() throws Exception {
        layout("1.1.0");
        HandoverFile.write(HandoverFile.of(data), handover("prepared", Map.of("kind", "none")));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        HandoverAtStart.run(data, program, null, Map.of(HandoverAtStart.HEALTH_TIMEOUT_ENV, "1"), LOG,
                exit::complete, Duration.ofMillis(200));
        Files.delete(HandoverFile.of(data)); // what the bundle does once the new version is healthy and committed
        assertThrows(java.util.concurrent.TimeoutException.class, () -> exit.get(3, TimeUnit.SECONDS));
    }

    @Test
    void theHandOverSurvivesTheLauncherJsonRoundTrip() throws Exception {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("run_id", "r\"1\\\n");
        h.put("backup", Map.of("kind", "derby"));
        h.put("outcome", null);
        h.put("flag", true);
        assertEquals(h, FlatJson.parse(FlatJson.write(h)));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.parse("{\"a\": [1]}"));
    }

    @Test
    void postgresqlUrlsLoseTheirPasswordOnTheCommandLine() throws Exception {
        BackupRestore.PgConnection c = BackupRestore.PgConnection.of("postgresql://pm:s%40cret@db.example:5433/pm?ssl=1");
        assertEquals("postgresql://pm@db.example:5433/pm", c.conninfo());
        assertEquals("s@cret", c.environment(Map.of()).get("PGPASSWORD"));
        assertFalse(c.toString().contains("cret"));
    }
}
