package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.release.Channel;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The policy row and the run history in the database. Every change is one transaction; an admin's change is audited
 * in the same transaction. A run moves only forward ({@link UpdateRun#STEPS}, then one final status) and never out
 * of a final status, so a late report of a step cannot reopen a finished run. The history is bounded: when a run
 * ends, finished runs beyond the newest {@link #KEEP_RUNS} are deleted.
 */
final class SelfUpdateStore {
    static final int KEEP_RUNS = 200;
    static final int MAX_MESSAGE = 2000;
    static final int MAX_DETAIL = 8192;
    /** How long a restart hand-over may stay in {@code applying} before it counts as lost. */
    static final java.time.Duration HANDOVER_TIMEOUT = java.time.Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN_COLUMNS = "SEQ, RUN_ID, FROM_VERSION, TO_VERSION, STATUS, ERROR_CODE, ERROR_MESSAGE, "
            + "MODE, TRIGGERED_BY, STARTED_AT, UPDATED_AT, FINISHED_AT, REPLICA, DETAIL";

    /** The policy with the time of the last scheduled check (null before the first) and of its last change. */
    record PolicyRow(UpdatePolicy policy, Instant lastCheckAt, Instant updatedAt) {
    }

    /** A run could not start: another one is active. */
    static final class ActiveRunException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient UpdateRun active;

        /** @param active the active run, or null when another replica holds the lease before recording one */
        ActiveRunException(UpdateRun active) {
            super(active == null ? "another server replica is checking for a server update now"
                    : "update run " + active.runId() + " is " + active.status());
            this.active = active;
        }

        UpdateRun active() {
            return active;
        }
    }

    private final Database database;
    private final AuditLog audit;
    private final Clock clock;

    SelfUpdateStore(Database database, AuditLog audit, Clock clock) throws SchemaException {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
        SelfUpdateSchema.ensure(database);
        ensurePolicyRow();
    }

    /**
     * The policy row exists from the start (with the defaults): it is also the row whose lock serializes the creation
     * of runs. Two replicas starting at once may both try; the second insert's key conflict is harmless.
     */
    private void ensurePolicyRow() {
        try {
            database.inTransaction(c -> {
                try (PreparedStatement check = c.prepareStatement("SELECT ID FROM PM_SERVER_UPDATE_POLICY WHERE ID = 1");
                     ResultSet rs = check.executeQuery()) {
                    if (rs.next()) {
                        return null;
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SERVER_UPDATE_POLICY (CADENCE, "
                        + "VERSION_PIN_STRATEGY, ALLOW_MAJOR_UPGRADE, TARGET_VERSION, CHANNEL, UPDATED_AT, UPDATED_BY, "
                        + "ID) VALUES (?, ?, ?, NULL, ?, ?, 'system', 1)")) {
                    UpdatePolicy d = UpdatePolicy.DEFAULT;
                    ps.setString(1, d.cadence().wireName());
                    ps.setString(2, d.versionPinStrategy().wireName());
                    ps.setBoolean(3, d.allowMajorUpgrade());
                    ps.setString(4, d.channel().wireName());
                    ps.setTimestamp(5, Timestamp.from(clock.instant()));
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            // another replica inserted it first: the row is there, which is all that matters
        }
    }

    PolicyRow policy() throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT CADENCE, VERSION_PIN_STRATEGY, ALLOW_MAJOR_UPGRADE, "
                    + "TARGET_VERSION, CHANNEL, LAST_CHECK_AT, UPDATED_AT FROM PM_SERVER_UPDATE_POLICY WHERE ID = 1");
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new PolicyRow(UpdatePolicy.DEFAULT, null, null);
                }
                UpdatePolicy p = new UpdatePolicy(Cadence.fromWireName(rs.getString(1)),
                        PinStrategy.fromWireName(rs.getString(2)), rs.getBoolean(3),
                        rs.getString(4) == null ? null : SemanticVersion.parse(rs.getString(4)),
                        Channel.fromWireName(rs.getString(5)));
                return new PolicyRow(p, instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)));
            }
        });
    }

    /** Stores the policy, audited as {@code server.update.policy}; a new cadence counts from now. */
    void savePolicy(UpdatePolicy policy, String actor) throws SQLException {
        database.inTransaction(c -> {
            PolicyRow before = readPolicyForUpdate(c);
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SERVER_UPDATE_POLICY SET CADENCE = ?, "
                    + "VERSION_PIN_STRATEGY = ?, ALLOW_MAJOR_UPGRADE = ?, TARGET_VERSION = ?, CHANNEL = ?, "
                    + "UPDATED_AT = ?, UPDATED_BY = ? WHERE ID = 1")) {
                ps.setString(1, policy.cadence().wireName());
                ps.setString(2, policy.versionPinStrategy().wireName());
                ps.setBoolean(3, policy.allowMajorUpgrade());
                ps.setString(4, policy.targetVersion() == null ? null : policy.targetVersion().toString());
                ps.setString(5, policy.channel().wireName());
                ps.setTimestamp(6, Timestamp.from(now));
                ps.setString(7, actor);
                ps.executeUpdate();
            }
            audit.record(c, actor, "server.update.policy", "server:update-policy", null, before.policy().json(),
                    policy.json());
            return null;
        });
    }

    /** Remembers when the scheduler last looked (the next check counts from it). */
    void markChecked(Instant at) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE PM_SERVER_UPDATE_POLICY SET LAST_CHECK_AT = ? WHERE ID = 1")) {
                ps.setTimestamp(1, Timestamp.from(at));
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static PolicyRow readPolicyForUpdate(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT CADENCE, VERSION_PIN_STRATEGY, ALLOW_MAJOR_UPGRADE, "
                + "TARGET_VERSION, CHANNEL, LAST_CHECK_AT, UPDATED_AT FROM PM_SERVER_UPDATE_POLICY WHERE ID = 1 FOR UPDATE");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return new PolicyRow(UpdatePolicy.DEFAULT, null, null);
            }
            return new PolicyRow(new UpdatePolicy(Cadence.fromWireName(rs.getString(1)),
                    PinStrategy.fromWireName(rs.getString(2)), rs.getBoolean(3),
                    rs.getString(4) == null ? null : SemanticVersion.parse(rs.getString(4)),
                    Channel.fromWireName(rs.getString(5))), instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)));
        }
    }

    /**
     * Records a new run in {@code pending}, unless one is active.
     *
     * @param auditActor the admin who asked (audited as {@code server.update.run}), or null for the scheduler
     * @throws ActiveRunException naming the active run
     */
    UpdateRun createRun(String fromVersion, String triggeredBy, String replica, String auditActor)
            throws SQLException, ActiveRunException {
        String runId = UUID.randomUUID().toString();
        Instant now = clock.instant();
        UpdateRun[] conflict = new UpdateRun[1];
        database.inTransaction(c -> {
            // the policy row is the lock that serializes run creation (two requests at once, two replicas)
            readPolicyForUpdate(c);
            Optional<UpdateRun> active = active(c);
            if (active.isPresent()) {
                conflict[0] = active.get();
                return null;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_SERVER_UPDATE_RUN (RUN_ID, FROM_VERSION, "
                    + "STATUS, TRIGGERED_BY, STARTED_AT, UPDATED_AT, REPLICA) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, runId);
                ps.setString(2, fromVersion);
                ps.setString(3, UpdateRun.PENDING);
                ps.setString(4, triggeredBy);
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, Timestamp.from(now));
                ps.setString(7, replica);
                ps.executeUpdate();
            }
            if (auditActor != null) {
                audit.record(c, auditActor, "server.update.run", "server:update-run/" + runId, null, null,
                        Map.of("run_id", runId, "from_version", fromVersion));
            }
            return null;
        });
        if (conflict[0] != null) {
            throw new ActiveRunException(conflict[0]);
        }
        return find(runId).orElseThrow();
    }

    /**
     * Moves a run to a later step (or sets its version, mode or detail on the way).
     *
     * @return the run after the change; empty when it does not exist, is final, or {@code status} would go back
     */
    Optional<UpdateRun> advance(String runId, String status, String toVersion, String mode, Map<String, Object> detail)
            throws SQLException {
        if (UpdateRun.FINAL.contains(status)) {
            throw new IllegalArgumentException("a final status is set by finish: " + status);
        }
        int target = UpdateRun.STEPS.indexOf(status);
        if (target < 0) {
            throw new IllegalArgumentException("not a run status: " + status);
        }
        boolean changed = database.inTransaction(c -> {
            Optional<UpdateRun> run = findForUpdate(c, runId);
            if (run.isEmpty() || run.get().isFinal() || UpdateRun.STEPS.indexOf(run.get().status()) > target) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SERVER_UPDATE_RUN SET STATUS = ?, "
                    + "TO_VERSION = COALESCE(?, TO_VERSION), MODE = COALESCE(?, MODE), DETAIL = COALESCE(?, DETAIL), "
                    + "UPDATED_AT = ? WHERE RUN_ID = ?")) {
                ps.setString(1, status);
                ps.setString(2, toVersion);
                ps.setString(3, mode);
                ps.setString(4, detail == null ? null : json(detail));
                ps.setTimestamp(5, Timestamp.from(clock.instant()));
                ps.setString(6, runId);
                ps.executeUpdate();
            }
            return true;
        });
        return changed ? find(runId) : Optional.empty();
    }

    /**
     * Ends a run with a final status, then prunes the history.
     *
     * @return the run after the change; empty when it does not exist or had ended already
     */
    Optional<UpdateRun> finish(String runId, String status, String errorCode, String errorMessage) throws SQLException {
        if (!UpdateRun.FINAL.contains(status)) {
            throw new IllegalArgumentException("not a final status: " + status);
        }
        boolean changed = database.inTransaction(c -> {
            Optional<UpdateRun> run = findForUpdate(c, runId);
            if (run.isEmpty() || run.get().isFinal()) {
                return false;
            }
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_SERVER_UPDATE_RUN SET STATUS = ?, ERROR_CODE = ?, "
                    + "ERROR_MESSAGE = ?, UPDATED_AT = ?, FINISHED_AT = ? WHERE RUN_ID = ?")) {
                ps.setString(1, status);
                ps.setString(2, errorCode);
                ps.setString(3, errorMessage == null ? null : truncate(errorMessage, MAX_MESSAGE));
                ps.setTimestamp(4, Timestamp.from(now));
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setString(6, runId);
                ps.executeUpdate();
            }
            return true;
        });
        if (!changed) {
            return Optional.empty();
        }
        prune();
        return find(runId);
    }

    /**
     * Ends the runs a crash or a stop left unfinished as {@code failed} {@code INTERRUPTED}, except a run in
     * {@code applying} with mode {@code restart} or {@code hot-swap}: the hand-over to the restarted server, or a hot
     * swap of this bundle that the swapped-in revision finishes (apply's TrialCompletion), unless it has not moved for {@link #HANDOVER_TIMEOUT} (the hand-over never happened: a crash before the
     * restart), when it is ended too, so that it does not block every later run. Call it only when no run of this
     * process goes on and no other replica holds the lease: then every unfinished run is an orphan.
     *
     * @return the runs ended
     */
    List<UpdateRun> finishInterrupted() throws SQLException {
        List<UpdateRun> ended = new ArrayList<>();
        Instant staleBefore = clock.instant().minus(HANDOVER_TIMEOUT);
        for (UpdateRun r : unfinished()) {
            // the applier ends these (TrialCompletion): a restart's next start, or the revision a hot swap of this
            // very bundle installed, while the swap is still going on; unless they have not moved for a long time
            boolean handOver = UpdateRun.APPLYING.equals(r.status()) && UpdateRun.MODE_RESTART.equals(r.mode());
            boolean swapping = UpdateRun.APPLYING.equals(r.status()) && UpdateRun.MODE_HOT_SWAP.equals(r.mode());
            if ((handOver || swapping) && r.updatedAt().isAfter(staleBefore)) {
                continue;
            }
            String message = handOver
                    ? "the restart into " + r.toVersion() + " did not report back within " + HANDOVER_TIMEOUT.toMinutes()
                    + " minutes; this server runs " + r.fromVersion() + ": check the server's log, then start a new run"
                    : "the server stopped while the run was " + r.status() + "; nothing was applied: start a new run";
            finish(r.runId(), UpdateRun.FAILED, "INTERRUPTED", message).ifPresent(ended::add);
        }
        return ended;
    }

    List<UpdateRun> unfinished() throws SQLException {
        return database.read(c -> {
            List<UpdateRun> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS + " FROM PM_SERVER_UPDATE_RUN WHERE "
                    + "STATUS NOT IN ('succeeded', 'failed', 'skipped', 'rolled_back') ORDER BY SEQ");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(run(rs));
                }
            }
            return out;
        });
    }

    Optional<UpdateRun> active() throws SQLException {
        return database.read(SelfUpdateStore::active);
    }

    private static Optional<UpdateRun> active(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS + " FROM PM_SERVER_UPDATE_RUN WHERE "
                + "STATUS NOT IN ('succeeded', 'failed', 'skipped', 'rolled_back') ORDER BY SEQ DESC");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(run(rs)) : Optional.empty();
        }
    }

    Optional<UpdateRun> find(String runId) throws SQLException {
        return database.read(c -> find(c, runId, ""));
    }

    private static Optional<UpdateRun> findForUpdate(Connection c, String runId) throws SQLException {
        return find(c, runId, " FOR UPDATE");
    }

    private static Optional<UpdateRun> find(Connection c, String runId, String suffix) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS
                + " FROM PM_SERVER_UPDATE_RUN WHERE RUN_ID = ?" + suffix)) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(run(rs)) : Optional.empty();
            }
        }
    }

    /** The newest runs first, those older than {@code beforeSeq} when given. */
    List<UpdateRun> page(Long beforeSeq, int limit) throws SQLException {
        return database.read(c -> {
            List<UpdateRun> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS + " FROM PM_SERVER_UPDATE_RUN"
                    + (beforeSeq == null ? "" : " WHERE SEQ < ?") + " ORDER BY SEQ DESC FETCH FIRST " + limit
                    + " ROWS ONLY")) {
                if (beforeSeq != null) {
                    ps.setLong(1, beforeSeq);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(run(rs));
                    }
                }
            }
            return out;
        });
    }

    /** Deletes finished runs beyond the newest {@link #KEEP_RUNS}. */
    int prune() throws SQLException {
        return database.inTransaction(c -> {
            Long oldestKept = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT SEQ FROM PM_SERVER_UPDATE_RUN ORDER BY SEQ DESC "
                    + "OFFSET " + (KEEP_RUNS - 1) + " ROWS FETCH FIRST 1 ROWS ONLY");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    oldestKept = rs.getLong(1);
                }
            }
            if (oldestKept == null) {
                return 0;
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_SERVER_UPDATE_RUN WHERE SEQ < ? AND "
                    + "STATUS IN ('succeeded', 'failed', 'skipped', 'rolled_back')")) {
                ps.setLong(1, oldestKept);
                return ps.executeUpdate();
            }
        });
    }

    private static UpdateRun run(ResultSet rs) throws SQLException {
        return new UpdateRun(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), instant(rs.getTimestamp(10)),
                instant(rs.getTimestamp(11)), instant(rs.getTimestamp(12)), rs.getString(13), rs.getString(14));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static String json(Map<String, Object> detail) {
        try {
            String s = JSON.writeValueAsString(detail);
            return s.length() <= MAX_DETAIL ? s : JSON.writeValueAsString(Map.of("truncated", true));
        } catch (JsonProcessingException e) {
            return "{}";
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
