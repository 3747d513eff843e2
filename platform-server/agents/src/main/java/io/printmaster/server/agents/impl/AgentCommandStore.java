package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Commands an administrator sends an agent ("Check now", "Update now", "Cancel"). A command waits as
 * {@code pending} until the agent's next check-in hands it over: the check-in record and marking it
 * {@code delivered} commit together ({@link #deliverPending}), so each command is handed over once. A newer command
 * of the same kind replaces a pending one ({@code replaced}): pressing "Update now" twice sends one.
 */
@Component(service = AgentCommandStore.class)
public class AgentCommandStore {
    static final List<String> COMMANDS = List.of("check_update", "force_update", "cancel_update");
    static final String COMMAND_ID_PREFIX = "cmd_";
    static final String PENDING = "pending";
    static final String DELIVERED = "delivered";
    static final String REPLACED = "replaced";
    /** How long a delivered or replaced command stays in the table; pending ones stay until delivered. */
    static final Duration HANDLED_KEPT = Duration.ofDays(30);
    /** The retention setting {@code command_days}, set by {@link AgentHistoryRetention}. */
    volatile Duration handledKept = HANDLED_KEPT;

    /** A command as stored. */
    record AgentCommand(String id, String agentId, String command, String state, Instant createdAt, String createdBy,
                        Instant deliveredAt) {
        /** What the agent receives in its check-in answer. */
        io.printmaster.core.wire.AgentCommand forAgent() {
            return new io.printmaster.core.wire.AgentCommand(id, command, createdAt);
        }

        /** What an administrator sees among an agent's pending commands. */
        Map<String, Object> forAdmin() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("command", command);
            m.put("created_at", createdAt);
            m.put("created_by", createdBy);
            m.put("state", state);
            return m;
        }
    }

    private final Database database;
    private final AuditLog audit;
    private final AgentSecrets secrets;
    private final Clock clock;
    /** Told when a command is queued, so the check-in's fast path does not miss it. */
    @Reference
    volatile CheckInCaches caches;
    /** Wakes the agent's long poll on whichever replica holds it (signal agent.command); absent in unit tests. */
    private volatile io.printmaster.store.ClusterSignals signals;

    @Activate
    public AgentCommandStore(@Reference Database database, @Reference AuditLog audit, @Reference AgentsClock clock)
            throws Exception {
        // the check-in's clock: a command's delivery (stamped by the check-in) and its window read the same time
        this(database, audit, new AgentSecrets(new SecureRandom()), clock);
    }

    AgentCommandStore(Database database, AuditLog audit, AgentSecrets secrets, Clock clock) throws Exception {
        this.database = database;
        this.audit = audit;
        this.secrets = secrets;
        this.clock = clock;
        AgentsSchema.ensure(database);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setSignals(io.printmaster.store.ClusterSignals signals) {
        this.signals = signals;
    }

    void unsetSignals(io.printmaster.store.ClusterSignals signals) {
        if (this.signals == signals) {
            this.signals = null;
        }
    }

    /**
     * Queues a command for the agent, replacing a pending one of the same kind; audited {@code agent.command}.
     *
     * @return empty when there is no such agent
     * @throws ApiException 400 naming {@code command} for an unknown command, 409 when the agent is revoked
     */
    Optional<AgentCommand> issue(String agentId, String command, String actor) throws SQLException, ApiException {
        if (command == null || !COMMANDS.contains(command)) {
            throw ApiException.invalid("command", "command must be one of " + String.join(", ", COMMANDS) + "; got '"
                    + command + "'");
        }
        String id = secrets.id(COMMAND_ID_PREFIX);
        Instant now = clock.instant();
        Object[] revoked = new Object[1];
        Optional<AgentCommand> issued = database.inRetryingTransaction(c -> { // many admins or a script at once: a lost lock is retried
            String fleet;
            try (PreparedStatement ps = c.prepareStatement("SELECT FLEET_ID, REVOKED_AT FROM PM_AGENT WHERE ID = ?")) {
                ps.setString(1, agentId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<AgentCommand>empty();
                    }
                    if (rs.getTimestamp(2) != null) {
                        revoked[0] = Boolean.TRUE;
                        return Optional.<AgentCommand>empty();
                    }
                    fleet = rs.getString(1);
                }
            }
            List<String> replaced = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_AGENT_COMMAND WHERE AGENT_ID = ?"
                    + " AND STATE = ? AND COMMAND = ?")) {
                ps.setString(1, agentId);
                ps.setString(2, PENDING);
                ps.setString(3, command);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        replaced.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT_COMMAND SET STATE = ? WHERE AGENT_ID = ?"
                    + " AND STATE = ? AND COMMAND = ?")) {
                ps.setString(1, REPLACED);
                ps.setString(2, agentId);
                ps.setString(3, PENDING);
                ps.setString(4, command);
                ps.executeUpdate();
            }
            // handed-over and replaced commands older than handledKept go (the audit log keeps each issue): an
            // agent's rows stay bounded by what its admins asked for lately
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_AGENT_COMMAND WHERE AGENT_ID = ?"
                    + " AND STATE <> ? AND CREATED_AT < ?")) {
                ps.setString(1, agentId);
                ps.setString(2, PENDING);
                ps.setTimestamp(3, Timestamp.from(now.minus(handledKept)));
                ps.executeUpdate();
            }
            AgentCommand created = new AgentCommand(id, agentId, command, PENDING, now, actor, null);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_COMMAND (ID, AGENT_ID, COMMAND, STATE,"
                    + " CREATED_AT, CREATED_BY) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, agentId);
                ps.setString(3, command);
                ps.setString(4, PENDING);
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setString(6, actor);
                ps.executeUpdate();
            }
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("id", id);
            after.put("command", command);
            after.put("replaced", replaced);
            audit.record(c, actor, "agent.command", "agent:" + agentId, fleet, null, after);
            // this replica's check-ins know at once that the agent has a command (others by the agent.command signal)
            CheckInCaches known = caches;
            if (known != null) {
                database.afterCommit(c, () -> known.pendingCommands.invalidate(agentId));
            }
            io.printmaster.store.ClusterSignals s = signals;
            if (s != null) {
                // ids and command names are [a-z0-9_]: no JSON escaping needed
                s.publish(c, UpdatePush.AGENT_COMMAND, agentId,
                        "{\"command_id\":\"" + id + "\",\"type\":\"" + command + "\"}");
            }
            return Optional.of(created);
        });
        if (revoked[0] != null) {
            throw new ApiException(409, "agent_revoked", "the agent is revoked: it will never check in to receive a command",
                    "id");
        }
        return issued;
    }

    /**
     * Whether an administrator's "Update now" ({@code force_update}) reached the agent within the last
     * {@code window}: its update run is then a forced one for the rollout gate.
     */
    boolean forceDeliveredWithin(String agentId, java.time.Duration window) throws SQLException {
        Instant since = clock.instant().minus(window);
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM PM_AGENT_COMMAND WHERE AGENT_ID = ?"
                    + " AND STATE = ? AND COMMAND = 'force_update' AND DELIVERED_AT >= ? FETCH FIRST 1 ROWS ONLY")) {
                ps.setString(1, agentId);
                ps.setString(2, DELIVERED);
                ps.setTimestamp(3, Timestamp.from(since));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The agent's commands waiting for its next check-in, oldest first. */
    List<AgentCommand> pending(String agentId) throws SQLException {
        return database.read(c -> pending(c, agentId));
    }

    /**
     * Hands the agent's pending commands over: marks them delivered, on the caller's connection so that this commits
     * (or rolls back) with the check-in record.
     *
     * @return the commands delivered now, oldest first (the agent runs them in this order)
     */
    static List<AgentCommand> deliverPending(Connection c, String agentId, Instant now) throws SQLException {
        List<AgentCommand> pending = pending(c, agentId);
        if (pending.isEmpty()) {
            return pending;
        }
        List<AgentCommand> delivered = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT_COMMAND SET STATE = ?, DELIVERED_AT = ?"
                + " WHERE ID = ? AND STATE = ?")) {
            for (AgentCommand p : pending) {
                ps.setString(1, DELIVERED);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setString(3, p.id());
                ps.setString(4, PENDING);
                // a concurrent check-in of the same agent may have taken it: only what this one marked is its own
                if (ps.executeUpdate() == 1) {
                    delivered.add(new AgentCommand(p.id(), p.agentId(), p.command(), DELIVERED, p.createdAt(),
                            p.createdBy(), now));
                }
            }
        }
        return delivered;
    }

    private static List<AgentCommand> pending(Connection c, String agentId) throws SQLException {
        List<AgentCommand> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, AGENT_ID, COMMAND, STATE, CREATED_AT, CREATED_BY,"
                + " DELIVERED_AT FROM PM_AGENT_COMMAND WHERE AGENT_ID = ? AND STATE = ? ORDER BY SEQ")) {
            ps.setString(1, agentId);
            ps.setString(2, PENDING);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp delivered = rs.getTimestamp(7);
                    out.add(new AgentCommand(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getTimestamp(5).toInstant(), rs.getString(6), delivered == null ? null : delivered.toInstant()));
                }
            }
        }
        return out;
    }
}
