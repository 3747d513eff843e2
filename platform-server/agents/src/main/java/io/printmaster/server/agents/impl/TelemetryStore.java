package io.printmaster.server.agents.impl;

import io.printmaster.server.agents.api.RunTransition;
import io.printmaster.server.agents.api.UpdateGate;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Update telemetry: every run-state transition an agent reports is a row of {@code PM_AGENT_TELEMETRY}, and the
 * agent's summary on {@code PM_AGENT} (status, target version, last error code, last result, last run) follows in the
 * same transaction. Only the newest {@link #keptPerAgent()} transitions of each agent are kept (1,000 unless the
 * retention settings say otherwise: {@code telemetry_rows_per_agent}); older ones are
 * deleted in that transaction too, so the table stays bounded however chatty an agent is.
 *
 * <p>Transitions are listed in the order received (newest first); the summary follows the agent's own
 * {@code timestamp}: a transition older than the one the summary shows (buffered while offline, sent late) is stored
 * but does not turn the summary back. Each transition of the agent's own runs also goes to the {@link UpdateGate} in
 * the same transaction (a terminal one frees the agent's rollout slot).
 *
 * <p>A check that found nothing to install ({@code up_to_date}) moves the summary only: no row, so the table keeps
 * update runs, not the agents' daily checks. Every update outcome is audited in the transaction; the events
 * ({@link OutcomeSignals}) are published after it committed, to the {@link ServerEvents} service when one runs.
 */
@Component(service = TelemetryStore.class)
public class TelemetryStore {
    static final int KEPT_PER_AGENT = 1000;
    /** The retention setting {@code telemetry_rows_per_agent}, set by {@link AgentHistoryRetention}. */
    private volatile int keptPerAgent = KEPT_PER_AGENT;
    static final int MAX_LIMIT = 200;

    private final Database database;
    private final Clock clock;
    private final UpdateGate gate;
    private final AuditLog audit;
    /** Optional: without the notifications bundle, telemetry is stored and audited all the same. */
    private volatile ServerEvents events;

    /** A stored transition, as listed. */
    record StoredTransition(long id, String runId, String status, String currentVersion, String targetVersion,
                            String errorCode, String errorMessage, Instant timestamp, Instant receivedAt,
                            Long downloadTimeMs, Long sizeBytes, String metadata) {
    }

    @Activate
    public TelemetryStore(@Reference Database database, @Reference UpdateGate gate, @Reference AuditLog audit,
                          @Reference AgentsClock clock) throws Exception {
        this(database, clock, gate, audit);
    }

    TelemetryStore(Database database, Clock clock, UpdateGate gate, AuditLog audit) throws Exception {
        this.database = database;
        this.clock = clock;
        this.gate = gate;
        this.audit = audit;
        AgentsSchema.ensure(database);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindEvents(ServerEvents e) {
        events = e;
    }

    void unbindEvents(ServerEvents e) {
        if (events == e) {
            events = null;
        }
    }

    Instant now() {
        return clock.instant();
    }

    /**
     * Stores the transitions (in order) and updates the agent's summary; all or nothing.
     *
     * @return false when the agent is unknown or revoked (nothing is stored)
     */
    boolean record(String agentId, List<TelemetryEvent> events) throws SQLException {
        Instant receivedAt = clock.instant();
        // many agents at once: a lost lock conflict (the rollout row, Derby's identity sequences) is run again
        Optional<OutcomeSignals> signals = database.inRetryingTransaction(c -> {
            Optional<AgentRecord> agent = AgentStore.find(c, agentId);
            if (agent.isEmpty() || agent.get().revokedAt() != null) {
                return Optional.<OutcomeSignals>empty();
            }
            OutcomeSignals told = new OutcomeSignals();
            Summary summary = new Summary(agent.get());
            for (TelemetryEvent e : events) {
                if (summary.apply(e)) {
                    told.statusChanged(agent.get(), e);
                }
            }
            // Order matters under load: the agent's own row first (as a check-in takes it), then the rollout's
            // (the gate), and only then the inserts, whose identity values Derby allocates: a transaction that
            // waits for a lock after taking identity values makes every other telemetry writer wait on them.
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT SET STATUS = ?, STATUS_AT = ?,"
                    + " TARGET_VERSION = ?, LAST_ERROR_CODE = ?, LAST_RESULT = ?, LAST_RUN_ID = ? WHERE ID = ?")) {
                ps.setString(1, summary.status);
                ps.setTimestamp(2, summary.statusAt == null ? null : Timestamp.from(summary.statusAt));
                ps.setString(3, summary.targetVersion);
                ps.setString(4, summary.lastErrorCode);
                ps.setString(5, summary.lastResult);
                ps.setString(6, summary.lastRunId);
                ps.setString(7, agentId);
                ps.executeUpdate();
            }
            for (TelemetryEvent e : events) {
                if (!e.pluginRun()) {
                    // a staged rollout's slot frees with the run's terminal status, in this same transaction
                    gate.runTransition(c, agentId, new RunTransition(e.runId(), e.status(), e.currentVersion(),
                            e.targetVersion(), e.errorCode(), e.terminal()));
                }
            }
            List<TelemetryEvent> rows = events.stream().filter(TelemetryEvent::stored).toList();
            if (rows.isEmpty()) {
                return Optional.of(told);
            }
            // the day's counts before the inserts too: their rows are shared by the fleet's agents (see above)
            OutcomeRollup.add(c, agent.get().fleet(), rows, receivedAt);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_TELEMETRY (AGENT_ID, RUN_ID, STATUS,"
                    + " CURRENT_VERSION, TARGET_VERSION, ERROR_CODE, ERROR_MESSAGE, REPORTED_AT, RECEIVED_AT,"
                    + " DOWNLOAD_TIME_MS, SIZE_BYTES, METADATA, COMPONENT, FLEET_ID)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (TelemetryEvent e : rows) {
                    ps.setString(1, agentId);
                    ps.setString(2, e.runId());
                    ps.setString(3, e.status());
                    ps.setString(4, e.currentVersion());
                    ps.setString(5, e.targetVersion());
                    ps.setString(6, e.errorCode());
                    ps.setString(7, e.errorMessage());
                    ps.setTimestamp(8, Timestamp.from(e.reportedAt()));
                    ps.setTimestamp(9, Timestamp.from(receivedAt));
                    setLong(ps, 10, e.downloadTimeMs());
                    setLong(ps, 11, e.sizeBytes());
                    ps.setString(12, e.metadataJson());
                    ps.setString(13, e.component());
                    ps.setString(14, agent.get().fleet());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            for (TelemetryEvent e : rows) {
                told.stored(c, audit, agent.get(), e, e.component(), receivedAt);
            }
            trim(c, agentId);
            return Optional.of(told);
        });
        if (signals.isEmpty()) {
            return false;
        }
        publish(signals.get().events());
        return true;
    }

    private void publish(List<ServerEvent> happened) {
        ServerEvents to = events;
        if (to != null) {
            happened.forEach(to::publish);
        }
    }

    /**
     * The agent's stored transitions, newest first.
     *
     * @param before only transitions with a smaller id (the previous page's {@code next_before})
     */
    List<StoredTransition> list(String agentId, Optional<Long> before, int limit) throws SQLException {
        int bounded = Math.max(1, Math.min(limit, MAX_LIMIT));
        return database.read(c -> {
            List<StoredTransition> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT ID, RUN_ID, STATUS, CURRENT_VERSION, TARGET_VERSION,"
                    + " ERROR_CODE, ERROR_MESSAGE, REPORTED_AT, RECEIVED_AT, DOWNLOAD_TIME_MS, SIZE_BYTES, METADATA"
                    + " FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = ? AND ID < ? ORDER BY ID DESC FETCH FIRST "
                    + bounded + " ROWS ONLY")) {
                ps.setString(1, agentId);
                ps.setLong(2, before.orElse(Long.MAX_VALUE));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoredTransition(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getString(7), rs.getTimestamp(8).toInstant(),
                                rs.getTimestamp(9).toInstant(), nullableLong(rs, 10), nullableLong(rs, 11),
                                rs.getString(12)));
                    }
                }
            }
            return out;
        });
    }

    int keptPerAgent() {
        return keptPerAgent;
    }

    void keepPerAgent(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("telemetry_rows_per_agent must be at least 1, was " + rows);
        }
        keptPerAgent = rows;
    }

    /** Deletes all but the agent's newest {@link #keptPerAgent()} transitions; returns how many went. */
    int trim(Connection c, String agentId) throws SQLException {
        Long oldestKept = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = ?"
                + " ORDER BY ID DESC OFFSET " + (keptPerAgent - 1) + " ROWS FETCH NEXT 1 ROWS ONLY")) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    oldestKept = rs.getLong(1);
                }
            }
        }
        if (oldestKept != null) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = ? AND ID < ?")) {
                ps.setString(1, agentId);
                ps.setLong(2, oldestKept);
                return ps.executeUpdate();
            }
        }
        return 0;
    }

    /** The agent's summary as the transitions of one request move it. */
    private static final class Summary {
        String status;
        Instant statusAt;
        String targetVersion;
        String lastErrorCode;
        String lastResult;
        String lastRunId;

        Summary(AgentRecord a) {
            status = a.status();
            statusAt = a.statusAt();
            targetVersion = a.targetVersion();
            lastErrorCode = a.lastErrorCode();
            lastResult = a.lastResult();
            lastRunId = a.lastRunId();
        }

        /** @return whether the transition moved the summary */
        boolean apply(TelemetryEvent e) {
            if (e.pluginRun()) {
                return false; // a plugin's run: in the transitions, not the agent's own update status
            }
            if (statusAt != null && e.reportedAt().isBefore(statusAt)) {
                return false; // reported late: stored, but the summary already shows something newer
            }
            status = e.status();
            statusAt = e.reportedAt();
            lastRunId = e.runId();
            if (e.targetVersion() != null) {
                targetVersion = e.targetVersion();
            }
            if (e.errorCode() != null) {
                lastErrorCode = e.errorCode();
            } else if (e.terminal()) {
                lastErrorCode = null; // a run ended without an error: an older run's error no longer describes the agent
            }
            if (e.terminal()) {
                lastResult = e.status();
            }
            return true;
        }
    }

    private static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    private static Long nullableLong(ResultSet rs, int index) throws SQLException {
        long v = rs.getLong(index);
        return rs.wasNull() ? null : v;
    }
}
