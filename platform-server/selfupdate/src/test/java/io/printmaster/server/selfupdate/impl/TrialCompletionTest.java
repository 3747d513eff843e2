package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The next start after a restart-mode apply: the trial that cannot become healthy, and the recorded rollback. */
class TrialCompletionTest {
    @TempDir
    Path dir;

    private ApplyFixture f;
    private final List<Integer> exits = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private void run(String status) throws Exception {
        SelfUpdateSchema.ensure(f.db);
        f.db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SERVER_UPDATE_RUN (RUN_ID, FROM_VERSION, "
                    + "TO_VERSION, STATUS, MODE, TRIGGERED_BY, STARTED_AT, UPDATED_AT, REPLICA) VALUES "
                    + "('run-1', '1.0.0', '1.1.0', ?, 'restart', 'admin', ?, ?, 'r1')")) {
                ps.setString(1, status);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    private String[] runRow() throws Exception {
        return f.db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT STATUS, ERROR_CODE, ERROR_MESSAGE FROM "
                    + "PM_SERVER_UPDATE_RUN WHERE RUN_ID = 'run-1'"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new String[] {rs.getString(1), rs.getString(2), rs.getString(3)};
            }
        });
    }

    private Map<String, Object> handover(String phase) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("run_id", "run-1");
        h.put("from_version", "1.0.0");
        h.put("to_version", "1.1.0");
        h.put("mode", "restart");
        h.put("backup", Map.of("kind", "derby", "path", "/nowhere"));
        h.put("phase", phase);
        return h;
    }

    @Test
    void theOldVersionRecordsTheRollbackWithTheTrialsCodeAndDeletesTheHandOver() throws Exception {
        f = new ApplyFixture(dir, "1.0.0");
        run("applying");
        Map<String, Object> h = handover("booted");
        h.put("outcome", Map.of("code", "MIGRATION_FAILED", "message", "1.1.0 was not healthy after the restart: "
                + "migration of module alpha to version 2 failed"));
        h.put("restored_at", Instant.now().toString());
        Handover.write(Handover.file(f.data), h);

        TrialCompletion t = new TrialCompletion(f.db, f.context(), Map.of(), exits::add);
        t.join(Duration.ofSeconds(30));

        String[] row = runRow();
        assertEquals("rolled_back", row[0]);
        assertEquals("MIGRATION_FAILED", row[1]);
        assertTrue(row[2].contains("the database backup was restored") && row[2].contains("1.0.0 runs again"), row[2]);
        assertFalse(Files.exists(Handover.file(f.data)));
        assertEquals(List.of(), exits);
    }

    @Test
    void aTrialThatEndedWithoutAnOutcomeIsAHealthCheckFailure() throws Exception {
        f = new ApplyFixture(dir, "1.0.0");
        run("applying");
        Handover.write(Handover.file(f.data), handover("booted"));
        TrialCompletion t = new TrialCompletion(f.db, f.context(), Map.of(), exits::add);
        t.join(Duration.ofSeconds(30));
        assertEquals("HEALTH_CHECK_FAILED", runRow()[1]);
    }

    @Test
    void anUnhealthyTrialRecordsItsOutcomeAndExits75WithoutCommitting() throws Exception {
        f = new ApplyFixture(dir, "1.1.0");
        run("applying");
        Handover.write(Handover.file(f.data), handover("booted"));
        // a bare framework: Declarative Services does not run, so the server is never healthy
        TrialCompletion t = new TrialCompletion(f.db, f.context(), Map.of("PM_SELFUPDATE_HEALTH_TIMEOUT", "1"),
                exits::add);
        t.join(Duration.ofSeconds(30));

        assertEquals(List.of(75), exits);
        Map<?, ?> outcome = (Map<?, ?>) Handover.read(Handover.file(f.data)).orElseThrow().get("outcome");
        assertEquals("HEALTH_CHECK_FAILED", outcome.get("code"));
        assertTrue(String.valueOf(outcome.get("message")).contains("Declarative Services"), outcome.toString());
        assertFalse(Files.exists(f.root.resolve("versions/current")), "not committed");
        assertEquals("applying", runRow()[0], "the old version records the end after the rollback");
    }
}
