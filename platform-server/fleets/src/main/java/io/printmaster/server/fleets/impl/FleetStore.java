package io.printmaster.server.fleets.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Fleets and update policies in the database. Every write and its audit entry commit in one transaction, so the
 * audit log never misses a change nor records one that did not happen.
 */
@Component(service = {FleetStore.class, FleetDirectory.class})
public class FleetStore implements FleetDirectory {
    static final String MODULE = "fleets";
    /** The global policy's row; '*' is not a valid fleet id, so it cannot collide with one. */
    static final String GLOBAL_KEY = "*";

    /** Policies are stored in their wire form; the records carry explicit JSON names. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final AuditLog audit;
    private final Clock clock;
    /** Tells every replica's caches of effective policies that one changed ({@value #POLICY_TOPIC}). */
    @Reference
    volatile ClusterSignals signals;

    /**
     * Published in the transaction of every policy write and fleet delete; scope the fleet id, or null when the
     * global policy changed (every fleet that inherits it); payload none.
     */
    static final String POLICY_TOPIC = "fleet.policy";

    @Activate
    public FleetStore(@Reference Database database, @Reference AuditLog audit) throws SchemaException {
        this(database, audit, Clock.systemUTC());
    }

    FleetStore(Database database, AuditLog audit, Clock clock) throws SchemaException {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
        database.migrate(MODULE, Migrations.fromClasspath(FleetStore.class, MODULE));
    }

    @Override
    public List<Fleet> list() throws SQLException {
        return database.read(JdbcFleets::list);
    }

    @Override
    public Optional<Fleet> find(String id) throws SQLException {
        return database.read(c -> JdbcFleets.find(c, id));
    }

    /** @return the new fleet, or empty when the id is taken */
    Optional<Fleet> create(String id, String name, String description, String actor) throws SQLException {
        Instant now = clock.instant();
        Fleet fleet = new Fleet(id, name, description, now, now);
        return database.inTransaction(c -> {
            if (JdbcFleets.find(c, id).isPresent()) {
                return Optional.empty();
            }
            JdbcFleets.insert(c, fleet);
            audit.record(c, actor, "fleet.create", "fleet:" + id, id, null, fleet);
            return Optional.of(fleet);
        });
    }

    Optional<Fleet> update(String id, String name, String description, String actor) throws SQLException {
        return database.inTransaction(c -> {
            Optional<Fleet> before = JdbcFleets.find(c, id);
            if (before.isEmpty()) {
                return Optional.empty();
            }
            Fleet after = new Fleet(id, name, description, before.get().createdAt(), clock.instant());
            JdbcFleets.update(c, after);
            audit.record(c, actor, "fleet.update", "fleet:" + id, id, before.get(), after);
            return Optional.of(after);
        });
    }

    /** Deletes the fleet and its own policy. */
    boolean delete(String id, String actor) throws SQLException {
        return database.inTransaction(c -> {
            Optional<Fleet> before = JdbcFleets.find(c, id);
            if (before.isEmpty()) {
                return false;
            }
            Optional<StoredPolicy> policy = storedPolicy(c, id);
            deletePolicyRow(c, id);
            JdbcFleets.delete(c, id);
            Map<String, Object> removed = new LinkedHashMap<>();
            removed.put("fleet", before.get());
            removed.put("own_policy", policy.map(StoredPolicy::policy).orElse(null));
            audit.record(c, actor, "fleet.delete", "fleet:" + id, id, removed, null);
            policyChanged(c, id);
            return true;
        });
    }

    @Override
    public EffectivePolicy effectivePolicy(String fleetId) throws SQLException {
        return database.read(c -> effective(c, fleetId));
    }

    EffectivePolicy globalPolicy() throws SQLException {
        return database.read(c -> effective(c, null));
    }

    /**
     * Saves the fleet's own policy, or the global one when {@code fleetId} is null.
     *
     * @return the policy now in force, or empty when the fleet does not exist
     */
    Optional<EffectivePolicy> savePolicy(String fleetId, UpdatePolicy policy, String actor) throws SQLException {
        String key = fleetId == null ? GLOBAL_KEY : fleetId;
        Instant now = clock.instant();
        return database.inTransaction(c -> {
            if (fleetId != null && JdbcFleets.find(c, fleetId).isEmpty()) {
                return Optional.empty();
            }
            EffectivePolicy before = effective(c, fleetId);
            Optional<StoredPolicy> own = storedPolicy(c, key);
            String sql = own.isPresent()
                    ? "UPDATE PM_UPDATE_POLICY SET POLICY_JSON = ?, UPDATED_AT = ?, UPDATED_BY = ? WHERE SCOPE_KEY = ?"
                    : "INSERT INTO PM_UPDATE_POLICY (POLICY_JSON, UPDATED_AT, UPDATED_BY, SCOPE_KEY) VALUES (?, ?, ?, ?)";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, toJson(policy));
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setString(3, actor);
                ps.setString(4, key);
                ps.executeUpdate();
            }
            EffectivePolicy after = effective(c, fleetId);
            audit.record(c, actor, "policy.update", "policy:" + (fleetId == null ? "global" : fleetId), fleetId,
                    before, after);
            policyChanged(c, fleetId);
            return Optional.of(after);
        });
    }

    /**
     * Drops the fleet's own policy so it follows the global one again.
     *
     * @return the policy now in force, or empty when the fleet does not exist
     */
    Optional<EffectivePolicy> inheritGlobal(String fleetId, String actor) throws SQLException {
        return database.inTransaction(c -> {
            if (JdbcFleets.find(c, fleetId).isEmpty()) {
                return Optional.empty();
            }
            EffectivePolicy before = effective(c, fleetId);
            if (deletePolicyRow(c, fleetId)) {
                EffectivePolicy after = effective(c, fleetId);
                audit.record(c, actor, "policy.inherit", "policy:" + fleetId, fleetId, before, after);
                policyChanged(c, fleetId);
                return Optional.of(after);
            }
            return Optional.of(before);
        });
    }

    /** @param fleetId null for the global policy (skipped by unit tests built without OSGi) */
    private void policyChanged(Connection c, String fleetId) throws SQLException {
        ClusterSignals s = signals;
        if (s != null) {
            s.publish(c, POLICY_TOPIC, fleetId, null);
        }
    }

    private EffectivePolicy effective(Connection c, String fleetId) throws SQLException {
        if (fleetId != null) {
            Optional<StoredPolicy> own = storedPolicy(c, fleetId);
            if (own.isPresent()) {
                return own.get().as(fleetId, EffectivePolicy.SOURCE_FLEET);
            }
        }
        Optional<StoredPolicy> global = storedPolicy(c, GLOBAL_KEY);
        if (global.isPresent()) {
            return global.get().as(fleetId, EffectivePolicy.SOURCE_GLOBAL);
        }
        return new EffectivePolicy(fleetId, EffectivePolicy.SOURCE_DEFAULT, UpdatePolicy.defaults(), null, null);
    }

    private record StoredPolicy(UpdatePolicy policy, Instant updatedAt, String updatedBy) {
        EffectivePolicy as(String fleetId, String source) {
            return new EffectivePolicy(fleetId, source, policy, updatedAt, updatedBy);
        }
    }

    private static Optional<StoredPolicy> storedPolicy(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT POLICY_JSON, UPDATED_AT, UPDATED_BY FROM PM_UPDATE_POLICY WHERE SCOPE_KEY = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredPolicy(fromJson(rs.getString(1)), rs.getTimestamp(2).toInstant(), rs.getString(3)));
            }
        }
    }

    private static boolean deletePolicyRow(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_UPDATE_POLICY WHERE SCOPE_KEY = ?")) {
            ps.setString(1, key);
            return ps.executeUpdate() > 0;
        }
    }

    private static String toJson(UpdatePolicy policy) throws SQLException {
        try {
            return JSON.writeValueAsString(policy);
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot store policy", e);
        }
    }

    private static UpdatePolicy fromJson(String json) throws SQLException {
        try {
            return JSON.readValue(json, UpdatePolicy.class);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored policy is unreadable: " + e.getOriginalMessage(), e);
        }
    }
}
