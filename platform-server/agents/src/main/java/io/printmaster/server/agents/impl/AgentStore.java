package io.printmaster.server.agents.impl;

import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import java.security.SecureRandom;
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
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Enrolled agents: enrollment (a join token exchanged for a credential), credential lookup, check-in records,
 * listing and revocation. The credential is returned once at enrollment; only its SHA-256 is stored.
 */
@Component(service = AgentStore.class)
public class AgentStore {
    private final Database database;
    private final AuditLog audit;
    private final FleetDirectory fleets;
    private final AgentSecrets secrets;
    private final Clock clock;
    private final CheckInWriteBehind writeBehind;
    /** Tells every replica's credential caches that an agent's credential is no longer valid. */
    @Reference
    volatile ClusterSignals signals;

    /** What an agent says about itself, at enrollment and at each check-in; already validated. */
    record AgentFacts(String hostname, String platform, String arch, String currentVersion) {
    }

    /** A new agent and its credential: the only time the credential's text exists outside the agent. */
    record Enrolled(AgentRecord agent, String credential) {
        @Override
        public String toString() {
            return "Enrolled[" + agent + "]";
        }
    }

    @Activate
    public AgentStore(@Reference Database database, @Reference AuditLog audit, @Reference FleetDirectory fleets,
                      @Reference AgentsClock clock) throws Exception {
        this(database, audit, fleets, new AgentSecrets(new SecureRandom()), clock);
    }

    AgentStore(Database database, AuditLog audit, FleetDirectory fleets, AgentSecrets secrets, Clock clock)
            throws Exception {
        this.database = database;
        this.audit = audit;
        this.fleets = fleets;
        this.secrets = secrets;
        this.clock = clock;
        AgentsSchema.ensure(database);
        this.writeBehind = new CheckInWriteBehind(database, CheckInWriteBehind.MAX_BUFFERED,
                CheckInWriteBehind.FLUSH_MILLIS);
    }

    /** Writes the check-ins still buffered: a stop loses none. */
    @Deactivate
    void deactivate() {
        writeBehind.close();
    }

    /** The buffer of check-ins without consequences ({@link #recordSeen}). */
    CheckInWriteBehind writeBehind() {
        return writeBehind;
    }

    /**
     * Records a check-in that delivers nothing and takes no slot, written behind ({@link CheckInWriteBehind}): the
     * same columns as {@link #checkIn}, visible to readers within the flush period.
     *
     * @param policy the policy of the answer, or null for the default policy's cadence
     */
    void recordSeen(String agentId, AgentFacts facts, Instant nextCheckAt, io.printmaster.core.policy.UpdatePolicy policy)
            throws SQLException {
        Instant now = clock.instant();
        Instant staleAfter = AgentFlags.staleAfter(now, AgentFlags.cadence(policy, now, nextCheckAt));
        writeBehind.record(new CheckInWriteBehind.Seen(agentId, now, facts, nextCheckAt, staleAfter));
    }

    /**
     * Exchanges a join token for a new agent. Taking one use of the token, creating the agent and storing its
     * credential's hash happen in one transaction: a token that is unknown, revoked, expired, used up or whose fleet
     * is gone leaves no trace, and a failure half-way leaves neither a used-up use nor an agent.
     *
     * @return empty when the token cannot enroll (the caller answers 401 {@code invalid_join_token})
     */
    Optional<Enrolled> enroll(String joinToken, AgentFacts facts) throws SQLException {
        if (joinToken == null || !joinToken.startsWith(AgentSecrets.JOIN_TOKEN_PREFIX)) {
            return Optional.empty();
        }
        String tokenHash = AgentSecrets.sha256Hex(joinToken);
        // the fleets table belongs to another bundle: its check runs before this transaction writes anything
        Optional<JoinTokenStore.JoinTokenInfo> known = database.read(c -> JoinTokenStore.findByHash(c, tokenHash));
        if (known.isEmpty()) {
            return Optional.empty();
        }
        Optional<io.printmaster.server.fleets.api.Fleet> fleet = fleets.find(known.get().fleetId());
        // A token older than its fleet was minted for a deleted fleet of the same id: it must not enroll into the
        // new one (the fleets bundle owns its table, so tokens are not deleted with the fleet).
        if (fleet.isEmpty() || known.get().createdAt().isBefore(fleet.get().createdAt())) {
            return Optional.empty();
        }
        String credential = secrets.secret(AgentSecrets.CREDENTIAL_PREFIX);
        String agentId = secrets.id(AgentSecrets.AGENT_ID_PREFIX);
        Instant now = clock.instant();
        return database.inRetryingTransaction(c -> {
            Optional<JoinTokenStore.JoinTokenInfo> token = JoinTokenStore.consume(c, tokenHash, now);
            if (token.isEmpty()) {
                return Optional.<Enrolled>empty();
            }
            String fleetId = token.get().fleetId();
            AgentRecord agent = AgentRecord.enrolled(agentId, fleetId, facts.platform(), facts.arch(),
                    facts.currentVersion(), facts.hostname(), now);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT (ID, FLEET_ID, CREDENTIAL_SHA256,"
                    + " JOIN_TOKEN_ID, HOSTNAME, PLATFORM, ARCH, CURRENT_VERSION, ENROLLED_AT, STALE_AFTER)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, agentId);
                ps.setString(2, fleetId);
                ps.setString(3, AgentSecrets.sha256Hex(credential));
                ps.setString(4, token.get().id());
                ps.setString(5, facts.hostname());
                ps.setString(6, facts.platform());
                ps.setString(7, facts.arch());
                ps.setString(8, facts.currentVersion());
                ps.setTimestamp(9, Timestamp.from(now));
                ps.setTimestamp(10, Timestamp.from(agent.staleAfter()));
                ps.executeUpdate();
            }
            Map<String, Object> after = describe(agent);
            after.put("join_token", token.get().id());
            audit.record(c, "agent:" + agentId, "agent.enroll", "agent:" + agentId, fleetId, null, after);
            return Optional.of(new Enrolled(agent, credential));
        });
    }

    /** The agent holding this credential, unless it is unknown or revoked. */
    Optional<AgentRecord> authenticate(String credential) throws SQLException {
        if (credential == null || !credential.startsWith(AgentSecrets.CREDENTIAL_PREFIX)) {
            return Optional.empty();
        }
        String hash = AgentSecrets.sha256Hex(credential);
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SELECT + ", CREDENTIAL_SHA256 FROM PM_AGENT WHERE CREDENTIAL_SHA256 = ?")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !AgentSecrets.constantTimeEquals(hash, rs.getString(CREDENTIAL_COLUMN))) {
                        return Optional.<AgentRecord>empty();
                    }
                    AgentRecord agent = row(rs, clock.instant());
                    return agent.revokedAt() == null ? Optional.of(agent) : Optional.<AgentRecord>empty();
                }
            }
        });
    }

    /** A recorded check-in: the agent as stored now, the commands handed over with it and what the step decided. */
    record CheckedIn<T>(AgentRecord agent, List<AgentCommandStore.AgentCommand> commands, T decided) {
    }

    /** Work that runs inside a check-in's transaction, after the agent's record was written. */
    @FunctionalInterface
    interface InCheckIn<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Records a check-in: when, what the agent reports about itself now, and when it means to check in again. Its
     * pending commands are marked delivered in the same transaction, so each is handed over by exactly one check-in.
     *
     * {@code step} runs in that transaction too (the rollout gate takes the agent's slot there), so the record,
     * the delivered commands and the slot commit or roll back together.
     *
     * @param nextCheckAt when the agent says it will check in next, or null when it does not say
     * @return the agent as stored now with the commands delivered, or empty when it is unknown or was revoked meanwhile
     */
    <T> Optional<CheckedIn<T>> checkIn(String agentId, AgentFacts facts, Instant nextCheckAt, InCheckIn<T> step)
            throws SQLException {
        return checkIn(agentId, facts, nextCheckAt, null, step);
    }

    /**
     * As {@link #checkIn(String, AgentFacts, Instant, InCheckIn)}, also moving the agent's {@code STALE_AFTER} to
     * twice the cadence of the policy this check-in answers with ({@link AgentFlags#cadence}).
     *
     * @param policy the policy of the answer, or null for the default policy's cadence
     */
    <T> Optional<CheckedIn<T>> checkIn(String agentId, AgentFacts facts, Instant nextCheckAt,
                                       io.printmaster.core.policy.UpdatePolicy policy, InCheckIn<T> step)
            throws SQLException {
        Instant now = clock.instant();
        Instant staleAfter = AgentFlags.staleAfter(now, AgentFlags.cadence(policy, now, nextCheckAt));
        // many agents at once: a lost lock conflict (the rollout row, Derby's identity sequences) is run again
        return database.inRetryingTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT SET LAST_SEEN_AT = ?, HOSTNAME = ?, PLATFORM = ?,"
                    + " ARCH = ?, CURRENT_VERSION = ?, NEXT_CHECK_AT = ?, STALE_AFTER = ? WHERE ID = ? AND REVOKED_AT IS NULL")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, facts.hostname());
                ps.setString(3, facts.platform());
                ps.setString(4, facts.arch());
                ps.setString(5, facts.currentVersion());
                ps.setTimestamp(6, nextCheckAt == null ? null : Timestamp.from(nextCheckAt));
                ps.setTimestamp(7, Timestamp.from(staleAfter));
                ps.setString(8, agentId);
                if (ps.executeUpdate() != 1) {
                    return Optional.<CheckedIn<T>>empty();
                }
            }
            List<AgentCommandStore.AgentCommand> commands = AgentCommandStore.deliverPending(c, agentId, now);
            Optional<AgentRecord> stored = find(c, agentId, now);
            if (stored.isEmpty()) {
                return Optional.<CheckedIn<T>>empty();
            }
            T decided = step.run(c);
            return Optional.of(new CheckedIn<>(stored.get(), commands, decided));
        });
    }

    /** One page of the agents list ({@code GET /api/v1/agents}); flags as of now. */
    AgentQuery.Page page(AgentQuery query) throws SQLException {
        Instant now = clock.instant();
        return database.read(c -> AgentPageQuery.run(c, query, now));
    }

    Optional<AgentRecord> find(String agentId) throws SQLException {
        Instant now = clock.instant();
        return database.read(c -> find(c, agentId, now));
    }

    /**
     * Revokes the agent's credential at once: its next request gets 401.
     *
     * @return false when there is no such agent
     */
    boolean revoke(String agentId, String actor) throws SQLException {
        Instant now = clock.instant();
        return database.inTransaction(c -> {
            Optional<AgentRecord> before = find(c, agentId, now);
            if (before.isEmpty()) {
                return false;
            }
            if (before.get().revokedAt() != null) {
                return true;
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT SET REVOKED_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, agentId);
                ps.executeUpdate();
            }
            Map<String, Object> after = describe(before.get());
            after.put("revoked_at", now.toString());
            audit.record(c, actor, "agent.revoke", "agent:" + agentId, before.get().fleet(), describe(before.get()), after);
            ClusterSignals s = signals;
            if (s != null) {
                s.publish(c, CheckInCaches.AGENT_CREDENTIAL, agentId, null);
            }
            return true;
        });
    }

    static final String SELECT = "SELECT ID, FLEET_ID, PLATFORM, ARCH, CURRENT_VERSION, LAST_SEEN_AT, HOSTNAME,"
            + " ENROLLED_AT, REVOKED_AT, STATUS, STATUS_AT, TARGET_VERSION, LAST_ERROR_CODE, LAST_RESULT, LAST_RUN_ID,"
            + " NEXT_CHECK_AT, STALE_AFTER";

    /** The column of the credential hash when it is selected after {@link #SELECT}'s. */
    private static final int CREDENTIAL_COLUMN = 18;

    /** One agent, its flags as of the system clock (for callers that read its summary, not its flags). */
    static Optional<AgentRecord> find(Connection c, String agentId) throws SQLException {
        return find(c, agentId, Instant.now());
    }

    static Optional<AgentRecord> find(Connection c, String agentId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " FROM PM_AGENT WHERE ID = ?")) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs, now)) : Optional.empty();
            }
        }
    }

    /** The agent of the current row of a result selected as {@link #SELECT}; its flags as of {@code now}. */
    static AgentRecord row(ResultSet rs, Instant now) throws SQLException {
        Instant revokedAt = instant(rs.getTimestamp(9));
        Instant staleAfter = instant(rs.getTimestamp(17));
        return new AgentRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                instant(rs.getTimestamp(6)), rs.getString(7), instant(rs.getTimestamp(8)), revokedAt,
                rs.getString(10), instant(rs.getTimestamp(11)), rs.getString(12), rs.getString(13), rs.getString(14),
                rs.getString(15), instant(rs.getTimestamp(16)), staleAfter,
                AgentFlags.of(revokedAt, staleAfter, rs.getString(13), rs.getString(14), now), null);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static Map<String, Object> describe(AgentRecord a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("fleet", a.fleet());
        m.put("hostname", a.hostname());
        m.put("platform", a.platform());
        m.put("arch", a.arch());
        m.put("current_version", a.currentVersion());
        return m;
    }
}
