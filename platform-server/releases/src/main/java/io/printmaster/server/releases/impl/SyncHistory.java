package io.printmaster.server.releases.impl;

import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The release module's history: sync runs ({@code PM_RELEASE_SYNC}) and what each did to every asset or source
 * ({@code PM_RELEASE_INTAKE_EVENT}). The tables are the module's own, migrated by {@link ReleaseStore}, which hands
 * this out ({@link ReleaseStore#syncs()}).
 */
final class SyncHistory {
    private final Database database;

    SyncHistory(Database database) {
        this.database = database;
    }

    /** A sync run as recorded. {@code state}: {@code running}, {@code finished}, {@code failed}. */
    public record SyncRecord(String id, String triggeredBy, String startedBy, Instant startedAt, Instant finishedAt,
                             String state, int cachedCount, int rejectedCount, int skippedCount, int prunedCount,
                             String message) {
    }

    /**
     * What happened to one asset (or source) in a sync. {@code outcome}: {@code cached}, {@code rejected},
     * {@code pruned}, {@code source_failed}; {@code reason} names a {@link io.printmaster.server.releases.api.RejectReason}
     * for rejections.
     */
    public record IntakeEvent(long id, String syncId, Instant occurredAt, String outcome, String reason, String message,
                              String sourceName, String assetName, String upstreamUrl, String component, String version,
                              String platform, String arch, String format, String sha256, Long sizeBytes) {
    }

    void startSync(SyncRecord s) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_SYNC (ID, TRIGGERED_BY, STARTED_BY, "
                    + "STARTED_AT, STATE) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, s.id());
                ps.setString(2, s.triggeredBy());
                ps.setString(3, ReleaseStore.truncate(s.startedBy(), 200));
                ps.setTimestamp(4, Timestamp.from(s.startedAt()));
                ps.setString(5, s.state());
                ps.executeUpdate();
            }
            return null;
        });
    }

    void finishSync(SyncRecord s) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_RELEASE_SYNC SET FINISHED_AT = ?, STATE = ?, "
                    + "CACHED_COUNT = ?, REJECTED_COUNT = ?, SKIPPED_COUNT = ?, PRUNED_COUNT = ?, MESSAGE = ? WHERE ID = ?")) {
                ReleaseStore.setInstant(ps, 1, s.finishedAt());
                ps.setString(2, s.state());
                ps.setInt(3, s.cachedCount());
                ps.setInt(4, s.rejectedCount());
                ps.setInt(5, s.skippedCount());
                ps.setInt(6, s.prunedCount());
                ps.setString(7, ReleaseStore.truncate(s.message(), 2000));
                ps.setString(8, s.id());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Syncs left "running" by a server that stopped mid-way: they will never finish. */
    void abandonRunningSyncs(Instant now) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_RELEASE_SYNC SET STATE = 'failed', FINISHED_AT = ?, "
                    + "MESSAGE = 'the server stopped during this sync' WHERE STATE = 'running'")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.executeUpdate();
            }
            return null;
        });
    }

    Optional<SyncRecord> sync(String id) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SYNC_SELECT + " WHERE ID = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(sync(rs)) : Optional.empty();
                }
            }
        });
    }

    List<SyncRecord> recentSyncs(int limit) throws SQLException {
        return database.read(c -> {
            List<SyncRecord> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SYNC_SELECT + " ORDER BY STARTED_AT DESC, ID DESC")) {
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(sync(rs));
                    }
                }
            }
            return list;
        });
    }

    private static final String SYNC_SELECT = "SELECT ID, TRIGGERED_BY, STARTED_BY, STARTED_AT, FINISHED_AT, STATE, "
            + "CACHED_COUNT, REJECTED_COUNT, SKIPPED_COUNT, PRUNED_COUNT, MESSAGE FROM PM_RELEASE_SYNC";

    private static SyncRecord sync(ResultSet rs) throws SQLException {
        return new SyncRecord(rs.getString(1), rs.getString(2), rs.getString(3), ReleaseStore.instant(rs.getTimestamp(4)),
                ReleaseStore.instant(rs.getTimestamp(5)), rs.getString(6), rs.getInt(7), rs.getInt(8), rs.getInt(9), rs.getInt(10),
                rs.getString(11));
    }

    void recordEvent(IntakeEvent e) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_INTAKE_EVENT (SYNC_ID, OCCURRED_AT, OUTCOME, "
                    + "REASON, MESSAGE, SOURCE_NAME, ASSET_NAME, UPSTREAM_URL, COMPONENT, VERSION, PLATFORM, ARCH, FORMAT, "
                    + "SHA256, SIZE_BYTES) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, e.syncId());
                ps.setTimestamp(2, Timestamp.from(e.occurredAt()));
                ps.setString(3, e.outcome());
                ps.setString(4, e.reason());
                ps.setString(5, ReleaseStore.truncate(e.message(), 2000));
                ps.setString(6, ReleaseStore.truncate(e.sourceName(), 200));
                ps.setString(7, ReleaseStore.truncate(e.assetName(), 255));
                ps.setString(8, ReleaseStore.truncate(e.upstreamUrl(), 2000));
                ps.setString(9, e.component());
                ps.setString(10, e.version());
                ps.setString(11, e.platform());
                ps.setString(12, e.arch());
                ps.setString(13, e.format());
                ps.setString(14, e.sha256());
                if (e.sizeBytes() == null) {
                    ps.setNull(15, Types.BIGINT);
                } else {
                    ps.setLong(15, e.sizeBytes());
                }
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Intake events, newest first.
     *
     * @param syncId  only this sync's, when not null
     * @param outcome only this outcome, when not null
     */
    List<IntakeEvent> events(String syncId, String outcome, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ID, SYNC_ID, OCCURRED_AT, OUTCOME, REASON, MESSAGE, SOURCE_NAME, "
                + "ASSET_NAME, UPSTREAM_URL, COMPONENT, VERSION, PLATFORM, ARCH, FORMAT, SHA256, SIZE_BYTES "
                + "FROM PM_RELEASE_INTAKE_EVENT WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (syncId != null) {
            sql.append(" AND SYNC_ID = ?");
            args.add(syncId);
        }
        if (outcome != null) {
            sql.append(" AND OUTCOME = ?");
            args.add(outcome);
        }
        sql.append(" ORDER BY ID DESC");
        return database.read(c -> {
            List<IntakeEvent> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                ReleaseStore.bind(ps, args);
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long size = rs.getLong(16);
                        Long sizeBytes = rs.wasNull() ? null : size;
                        list.add(new IntakeEvent(rs.getLong(1), rs.getString(2), ReleaseStore.instant(rs.getTimestamp(3)), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                                rs.getString(10), rs.getString(11), rs.getString(12), rs.getString(13), rs.getString(14),
                                rs.getString(15), sizeBytes));
                    }
                }
            }
            return list;
        });
    }
}
