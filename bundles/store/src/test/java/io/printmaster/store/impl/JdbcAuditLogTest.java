package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.AuditLog.Entry;
import io.printmaster.store.AuditLog.Query;
import io.printmaster.store.SchemaException;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcAuditLogTest {
    private static final Instant NOW = Instant.parse("2026-03-29T02:30:00.123456Z"); // as a wall time, skipped by DST in Central Europe

    @TempDir
    static Path dir;
    static JdbcDatabase db;
    static JdbcAuditLog audit;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(dir);
        audit = new JdbcAuditLog(db, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @BeforeEach
    void empty() throws Exception {
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("DELETE FROM AUDIT_LOG");
            }
        });
    }

    record Sample(int checkDays, java.time.Instant updatedAt) {
    }

    private static void record(String action, String target, String fleet) throws Exception {
        db.inTransaction(c -> {
            audit.record(c, "alice", action, target, fleet, null, java.util.Map.of("n", 1));
            return null;
        });
    }

    private static Query query(Optional<String> target, Optional<String> prefix, Optional<Set<String>> fleets,
                               Optional<Long> beforeId, int limit) {
        return new Query(target, prefix, fleets, beforeId, limit);
    }

    private static List<String> actions(List<Entry> entries) {
        return entries.stream().map(Entry::action).toList();
    }

    @Test
    void recordsEveryFieldAndListsNewestFirst() throws Exception {
        db.inTransaction(c -> {
            audit.record(c, "alice", "fleet.create", "fleet:lab", "lab", null, java.util.Map.of("name", "lab"));
            // states are rendered with the API's names: camelCase components become snake_case
            audit.record(c, "bob", "policy.update", "policy:lab", "lab", new Sample(1, java.time.Instant.EPOCH), new Sample(2, null));
            return null;
        });

        List<Entry> entries = audit.list(Query.latest(10));
        assertEquals(List.of("policy.update", "fleet.create"), actions(entries));
        Entry newest = entries.get(0);
        assertEquals(new Entry(newest.id(), NOW, "bob", "policy.update", "policy:lab", "lab",
                "{\"check_days\":1,\"updated_at\":\"1970-01-01T00:00:00Z\"}", "{\"check_days\":2,\"updated_at\":null}"),
                newest);
        Entry oldest = entries.get(1);
        assertEquals(null, oldest.before());
        assertTrue(oldest.id() < newest.id());
    }

    @Test
    void anEntryRollsBackWithTheChange() throws Exception {
        assertThrows(IllegalStateException.class, () -> db.inTransaction(c -> {
            audit.record(c, "alice", "fleet.delete", "fleet:lab", "lab", java.util.Map.of(), null);
            throw new IllegalStateException("the change failed");
        }));
        assertEquals(List.of(), audit.list(Query.latest(10)));
    }

    @Test
    void pagesWithBeforeId() throws Exception {
        for (int i = 1; i <= 5; i++) {
            record("step." + i, "thing:" + i, null);
        }
        List<Entry> first = audit.list(Query.latest(2));
        assertEquals(List.of("step.5", "step.4"), actions(first));
        List<Entry> second = audit.list(query(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(first.get(1).id()), 2));
        assertEquals(List.of("step.3", "step.2"), actions(second));
        List<Entry> last = audit.list(query(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(second.get(1).id()), 2));
        assertEquals(List.of("step.1"), actions(last));
    }

    @Test
    void filtersByFleetTargetAndTargetPrefix() throws Exception {
        record("a", "fleet:lab", "lab");
        record("b", "fleet:prod", "prod");
        record("c", "user:root", null);
        record("d", "fleet_x", "lab");
        record("e", "fleet:lab", "lab");

        assertEquals(List.of("e", "d", "a"), actions(audit.list(query(Optional.empty(), Optional.empty(),
                Optional.of(Set.of("lab")), Optional.empty(), 10))));
        assertEquals(List.of("e", "d", "b", "a"), actions(audit.list(query(Optional.empty(), Optional.empty(),
                Optional.of(Set.of("lab", "prod")), Optional.empty(), 10))), "server-wide entries are excluded");
        assertEquals(List.of(), audit.list(query(Optional.empty(), Optional.empty(), Optional.of(Set.of()),
                Optional.empty(), 10)), "a caller allowed no fleet sees nothing");
        assertEquals(List.of("e", "a"), actions(audit.list(query(Optional.of("fleet:lab"), Optional.empty(),
                Optional.empty(), Optional.empty(), 10))));
        assertEquals(List.of("e", "b", "a"), actions(audit.list(query(Optional.empty(), Optional.of("fleet:"),
                Optional.empty(), Optional.empty(), 10))));
        // LIKE wildcards in the prefix are literal: "fleet_" must not match "fleet:"
        assertEquals(List.of("d"), actions(audit.list(query(Optional.empty(), Optional.of("fleet_"),
                Optional.empty(), Optional.empty(), 10))));
        assertEquals(List.of("e"), actions(audit.list(query(Optional.of("fleet:lab"), Optional.empty(),
                Optional.of(Set.of("lab")), Optional.empty(), 1))));
    }

    @Test
    void rejectsBadInputNamingTheField() throws Exception {
        IllegalArgumentException actor = assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> {
            audit.record(c, " ", "fleet.create", "fleet:lab", null, null, null);
            return null;
        }));
        assertEquals("audit actor must not be blank", actor.getMessage());
        IllegalArgumentException target = assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> {
            audit.record(c, "alice", "fleet.create", "t".repeat(501), null, null, null);
            return null;
        }));
        assertEquals("audit target must be at most 500 characters, was 501", target.getMessage());
        IllegalArgumentException limit = assertThrows(IllegalArgumentException.class, () -> Query.latest(501));
        assertEquals("limit must be between 1 and 500, was 501", limit.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Query.latest(0));
        assertEquals(List.of(), audit.list(Query.latest(10)));
    }

    @Test
    void activationRunsTheAuditMigrationOnceAndFailsOnANewerSchema() throws Exception {
        record("before", "thing:1", null);
        new JdbcAuditLog(db); // a second activation: already migrated, nothing changes
        assertEquals(List.of("before"), actions(audit.list(Query.latest(10))));

        setAuditSchemaVersion(2); // as if a newer server had run on this database
        try {
            SchemaException e = assertThrows(SchemaException.class, () -> new JdbcAuditLog(db));
            assertTrue(e.getMessage().contains("module audit is at version 2 but this code knows only up to 1"),
                    e.getMessage());
            assertTrue(db.state().detail().contains("module audit is at version 2"), db.state().detail());
        } finally {
            setAuditSchemaVersion(1);
            new JdbcAuditLog(db); // clears the failure for the other tests
        }
        assertTrue(db.state().up(), () -> db.state().detail());
    }

    private static void setAuditSchemaVersion(int version) throws Exception {
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("UPDATE PM_SCHEMA_VERSION SET VERSION = " + version + " WHERE MODULE = 'audit'");
            }
        });
    }
}
