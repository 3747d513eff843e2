package io.printmaster.server.fleets.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fleets and policies on a real embedded Derby, with their audit trail. */
class FleetStoreTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    AuditLog audit;
    FleetStore store;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        store = new FleetStore(db, audit);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private List<String> auditActions() throws SQLException {
        return audit.list(AuditLog.Query.latest(100)).stream().map(AuditLog.Entry::action).toList();
    }

    @Test
    void createRenameAndDeleteAreAuditedWithBeforeAndAfter() throws Exception {
        assertTrue(store.create("lab", "Lab", null, "admin").isPresent());
        assertEquals(Optional.empty(), store.create("lab", "Another", null, "admin"), "ids are unique");
        assertEquals("Lab 2", store.update("lab", "Lab 2", "second floor", "admin").orElseThrow().name());
        assertEquals("second floor", store.find("lab").orElseThrow().description());
        assertTrue(store.delete("lab", "ops"));
        assertFalse(store.delete("lab", "ops"));
        assertTrue(store.find("lab").isEmpty());

        assertEquals(List.of("fleet.delete", "fleet.update", "fleet.create"), auditActions());
        AuditLog.Entry update = audit.list(AuditLog.Query.latest(100)).get(1);
        assertTrue(update.before().contains("\"name\":\"Lab\"") && update.after().contains("\"name\":\"Lab 2\""),
                update.before() + " -> " + update.after());
        assertEquals("lab", update.fleet());
        assertEquals("ops", audit.list(AuditLog.Query.latest(1)).get(0).actor());
    }

    @Test
    void aFleetFollowsItsOwnPolicyElseTheGlobalElseTheDefaults() throws Exception {
        store.create("lab", "Lab", null, "admin");
        EffectivePolicy initial = store.effectivePolicy("lab");
        assertEquals(EffectivePolicy.SOURCE_DEFAULT, initial.source());
        assertEquals(UpdatePolicy.defaults(), initial.policy());

        UpdatePolicy daily = withCheckDays(UpdatePolicy.defaults(), 1);
        store.savePolicy(null, daily, "admin");
        assertEquals(EffectivePolicy.SOURCE_GLOBAL, store.effectivePolicy("lab").source());
        assertEquals(1, store.effectivePolicy("lab").policy().updateCheckDays());

        UpdatePolicy monthly = withCheckDays(UpdatePolicy.defaults(), 30);
        EffectivePolicy own = store.savePolicy("lab", monthly, "admin").orElseThrow();
        assertEquals(EffectivePolicy.SOURCE_FLEET, own.source());
        assertEquals(monthly, store.effectivePolicy("lab").policy(), "the policy reads back exactly as saved");
        assertEquals("admin", own.updatedBy());

        assertEquals(EffectivePolicy.SOURCE_GLOBAL, store.inheritGlobal("lab", "admin").orElseThrow().source());
        assertEquals(1, store.effectivePolicy("lab").policy().updateCheckDays());
        assertEquals(List.of("policy.inherit", "policy.update", "policy.update", "fleet.create"), auditActions());
    }

    @Test
    void policiesOfUnknownFleetsAreRefusedAndChangeNothing() throws Exception {
        assertEquals(Optional.empty(), store.savePolicy("ghost", UpdatePolicy.defaults(), "admin"));
        assertEquals(Optional.empty(), store.inheritGlobal("ghost", "admin"));
        assertEquals(List.of(), auditActions());
    }

    @Test
    void deletingAFleetDropsItsPolicySoARecreatedFleetStartsFromGlobal() throws Exception {
        store.create("lab", "Lab", null, "admin");
        store.savePolicy("lab", withCheckDays(UpdatePolicy.defaults(), 30), "admin");
        store.delete("lab", "admin");
        store.create("lab", "Lab again", null, "admin");
        assertEquals(EffectivePolicy.SOURCE_DEFAULT, store.effectivePolicy("lab").source());
    }

    @Test
    void aFailedWriteLeavesNoAuditEntryAndNoChange() throws Exception {
        store.create("lab", "Lab", null, "admin");
        // a name longer than the column makes the UPDATE fail inside the transaction
        assertThrows(SQLException.class, () -> store.update("lab", "x".repeat(300), null, "admin"));
        assertEquals("Lab", store.find("lab").orElseThrow().name());
        assertEquals(List.of("fleet.create"), auditActions());
    }

    private static UpdatePolicy withCheckDays(UpdatePolicy p, int days) {
        MaintenanceWindowSettings w = p.maintenanceWindow();
        return new UpdatePolicy(days, p.versionPinStrategy(), p.allowMajorUpgrade(), p.targetVersion(), p.collectTelemetry(),
                w, p.rolloutControl());
    }
}
