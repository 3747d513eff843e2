package io.printmaster.server.releases.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The release module's tables: artifact records with their release counters and signed manifests; sync runs and
 * intake events through {@link #syncs()}. (Release source configurations live in {@link SourceConfigurations}.) Callers get whole records;
 * every multi-row change runs in one transaction.
 */
@Component(service = ReleaseStore.class)
public class ReleaseStore {
    static final String MODULE = "releases";

    private static final String ARTIFACT_COLUMNS = "A.ID, A.COMPONENT, A.VERSION, A.PLATFORM, A.ARCH, A.FORMAT, A.CHANNEL, "
            + "A.SHA256, A.SIZE_BYTES, A.ASSET_NAME, A.SOURCE_NAME, A.SOURCE_TYPE, A.UPSTREAM_URL, A.RELEASE_NOTES, "
            + "A.PUBLISHED_AT, A.DOWNLOADED_AT";

    /** Newest version first, then platform, arch and format for a stable order. */
    static final Comparator<Artifact> NEWEST_FIRST = Comparator.comparing(Artifact::component)
            .thenComparing((Artifact a) -> versionOrNull(a.version()), Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(Artifact::version)
            .thenComparing(Artifact::platform).thenComparing(Artifact::arch).thenComparing(Artifact::format);

    private final Database database;
    private final SyncHistory syncs;
    /** Tells every replica's check-in caches that the catalog changed ({@link CatalogSignals}). */
    @Reference
    volatile ClusterSignals signals;

    @Activate
    public ReleaseStore(@Reference Database database) throws SchemaException {
        this.database = database;
        database.migrate(MODULE, Migrations.fromClasspath(ReleaseStore.class, MODULE));
        this.syncs = new SyncHistory(database);
    }

    /** The sync runs and their intake events (the same module's tables). */
    SyncHistory syncs() {
        return syncs;
    }

    Database database() {
        return database;
    }

    // ---- artifacts --------------------------------------------------------------------------------------------

    List<Artifact> artifacts(ArtifactFilter filter) throws SQLException {
        List<Object> args = new ArrayList<>();
        String where = where(filter, args);
        List<Artifact> out = database.read(c -> {
            List<Artifact> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A" + where)) {
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(artifact(rs, 1));
                    }
                }
            }
            return list;
        });
        out.sort(NEWEST_FIRST);
        return out;
    }

    /** The artifact with this record number, if recorded. */
    Optional<Artifact> artifact(long id) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A "
                    + "WHERE A.ID = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(artifact(rs, 1)) : Optional.empty();
                }
            }
        });
    }

    /**
     * The release notes of a component's version: those of its most recently cached artifact that has any (every
     * artifact of a release carries the release's notes; a source may leave them out of some).
     */
    Optional<String> releaseNotes(String component, String version) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT RELEASE_NOTES FROM PM_RELEASE_ARTIFACT "
                    + "WHERE COMPONENT = ? AND VERSION = ? AND RELEASE_NOTES IS NOT NULL ORDER BY DOWNLOADED_AT DESC, ID DESC")) {
                ps.setString(1, component);
                ps.setString(2, version);
                ps.setMaxRows(1);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /** The artifact with this identity (component, version, platform, arch, format), if recorded. */
    Optional<Artifact> find(String component, String version, String platform, String arch, String format) throws SQLException {
        return database.read(c -> find(c, component, version, platform, arch, format));
    }

    private static Optional<Artifact> find(Connection c, String component, String version, String platform, String arch,
                                           String format) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A "
                + "WHERE A.COMPONENT = ? AND A.VERSION = ? AND A.PLATFORM = ? AND A.ARCH = ? AND A.FORMAT = ?")) {
            ps.setString(1, component);
            ps.setString(2, version);
            ps.setString(3, platform);
            ps.setString(4, arch);
            ps.setString(5, format);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(artifact(rs, 1)) : Optional.empty();
            }
        }
    }

    /** What recording an artifact did. */
    sealed interface Recorded permits Added, AlreadyRecorded, Conflict {
    }

    /** A new record; {@code counter} is its version's release counter. */
    record Added(Artifact artifact, long counter) implements Recorded {
    }

    /** The same identity with the same bytes was recorded before. */
    record AlreadyRecorded(Artifact artifact) implements Recorded {
    }

    /** The same identity was recorded before with other bytes; the existing record stays. */
    record Conflict(Artifact existing) implements Recorded {
    }

    /**
     * Records a cached artifact (its {@code id} is ignored) and gives its version a release counter when it has none
     * yet, in one transaction. Tried again when another writer took the same counter or identity at the same moment
     * (another server process's intake, a rollback manifest's counter): the next attempt sees what it committed.
     */
    Recorded record(Artifact a) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return recordOnce(a);
            } catch (SQLException e) {
                if (attempt >= RESERVE_ATTEMPTS || !RETRY_STATES.contains(e.getSQLState())) {
                    throw e;
                }
            }
        }
    }

    private Recorded recordOnce(Artifact a) throws SQLException {
        return database.inTransaction(c -> {
            Optional<Artifact> existing = find(c, a.component(), a.version(), a.platform(), a.arch(), a.format());
            if (existing.isPresent()) {
                return existing.get().sha256().equals(a.sha256())
                        ? new AlreadyRecorded(existing.get()) : new Conflict(existing.get());
            }
            long counter = counter(c, a.component(), a.version(), a.downloadedAt());
            long id;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_ARTIFACT (COMPONENT, VERSION, PLATFORM, "
                    + "ARCH, FORMAT, CHANNEL, SHA256, SIZE_BYTES, ASSET_NAME, SOURCE_NAME, SOURCE_TYPE, UPSTREAM_URL, "
                    + "RELEASE_NOTES, PUBLISHED_AT, DOWNLOADED_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, a.component());
                ps.setString(2, a.version());
                ps.setString(3, a.platform());
                ps.setString(4, a.arch());
                ps.setString(5, a.format());
                ps.setString(6, a.channel());
                ps.setString(7, a.sha256());
                ps.setLong(8, a.sizeBytes());
                ps.setString(9, a.assetName());
                ps.setString(10, a.sourceName());
                ps.setString(11, a.sourceType());
                ps.setString(12, a.upstreamUrl());
                ps.setString(13, a.releaseNotes());
                setInstant(ps, 14, a.publishedAt());
                setInstant(ps, 15, a.downloadedAt());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            }
            Artifact added = new Artifact(id, a.component(), a.version(), a.platform(), a.arch(), a.format(), a.channel(),
                    a.sha256(), a.sizeBytes(), a.assetName(), a.sourceName(), a.sourceType(), a.upstreamUrl(),
                    a.releaseNotes(), a.publishedAt(), a.downloadedAt());
            CatalogSignals.changed(signals, c, a.component());
            return new Added(added, counter);
        });
    }

    /**
     * The release counter of a component's version: the one it was given, or the next after the component's highest,
     * given now. See docs/manifests.md for why counters follow arrival and never change.
     */
    private static long counter(Connection c, String component, String version, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNTER FROM PM_RELEASE_COUNTER WHERE COMPONENT = ? AND VERSION = ?")) {
            ps.setString(1, component);
            ps.setString(2, version);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
        }
        long next;
        try (PreparedStatement ps = c.prepareStatement("SELECT MAX(COUNTER) FROM PM_RELEASE_COUNTER WHERE COMPONENT = ?")) {
            ps.setString(1, component);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                next = rs.getLong(1) + 1;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PM_RELEASE_COUNTER (COMPONENT, VERSION, COUNTER, ASSIGNED_AT) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, component);
            ps.setString(2, version);
            ps.setLong(3, next);
            ps.setTimestamp(4, Timestamp.from(now));
            ps.executeUpdate();
        }
        return next;
    }

    /** The release counter of a component's version, if it has one. */
    Optional<Long> releaseCounter(String component, String version) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNTER FROM PM_RELEASE_COUNTER WHERE COMPONENT = ? AND VERSION = ?")) {
                ps.setString(1, component);
                ps.setString(2, version);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
                }
            }
        });
    }

    /**
     * Deletes the records (and their manifests) of every version beyond the newest {@code keep} of each component
     * and channel, in semantic-version order.
     *
     * @return the deleted records
     */
    List<Artifact> pruneBeyond(int keep) throws SQLException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one version, not " + keep);
        }
        return database.inTransaction(c -> {
            List<Artifact> all = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.add(artifact(rs, 1));
                }
            }
            Map<String, TreeMap<SemanticVersion, List<Artifact>>> groups = new LinkedHashMap<>();
            for (Artifact a : all) {
                SemanticVersion v = versionOrNull(a.version());
                if (v == null) {
                    continue; // never recorded by the intake, which parses every version; leave it alone
                }
                groups.computeIfAbsent(a.component() + "\n" + a.channel(), k -> new TreeMap<>(Comparator.reverseOrder()))
                        .computeIfAbsent(v, k -> new ArrayList<>()).add(a);
            }
            List<Artifact> pruned = new ArrayList<>();
            for (TreeMap<SemanticVersion, List<Artifact>> versions : groups.values()) {
                int rank = 0;
                for (List<Artifact> ofVersion : versions.values()) {
                    if (++rank > keep) {
                        pruned.addAll(ofVersion);
                    }
                }
            }
            try (PreparedStatement manifests = c.prepareStatement("DELETE FROM PM_RELEASE_MANIFEST WHERE ARTIFACT_ID = ?");
                 PreparedStatement artifacts = c.prepareStatement("DELETE FROM PM_RELEASE_ARTIFACT WHERE ID = ?")) {
                for (Artifact a : pruned) {
                    manifests.setLong(1, a.id());
                    manifests.executeUpdate();
                    artifacts.setLong(1, a.id());
                    artifacts.executeUpdate();
                }
            }
            for (String component : pruned.stream().map(Artifact::component).distinct().toList()) {
                CatalogSignals.changed(signals, c, component);
            }
            return pruned;
        });
    }

    /** True when some artifact record still names this content. */
    boolean isReferenced(String sha256) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM PM_RELEASE_ARTIFACT WHERE SHA256 = ?")) {
                ps.setString(1, sha256);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    // ---- manifests --------------------------------------------------------------------------------------------

    /** A manifest with the artifact it describes. */
    record ManifestEntry(Artifact artifact, SignedManifest manifest) {
    }

    /** Replaces the artifact's manifest. */
    void saveManifest(SignedManifest m) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM PM_RELEASE_MANIFEST WHERE ARTIFACT_ID = ?")) {
                del.setLong(1, m.artifactId());
                del.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_MANIFEST (ARTIFACT_ID, KEY_ID, MANIFEST, "
                    + "SIGNATURE, GENERATED_AT, EXPIRES_AT) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, m.artifactId());
                ps.setString(2, m.keyId());
                ps.setBytes(3, m.manifest());
                ps.setString(4, m.signature());
                ps.setTimestamp(5, Timestamp.from(m.generatedAt()));
                ps.setTimestamp(6, Timestamp.from(m.expiresAt()));
                ps.executeUpdate();
            }
            CatalogSignals.artifactChanged(signals, c, m.artifactId());
            return null;
        });
    }

    Optional<SignedManifest> manifest(long artifactId) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT ARTIFACT_ID, KEY_ID, MANIFEST, SIGNATURE, GENERATED_AT, "
                    + "EXPIRES_AT FROM PM_RELEASE_MANIFEST WHERE ARTIFACT_ID = ?")) {
                ps.setLong(1, artifactId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(manifest(rs, 1)) : Optional.empty();
                }
            }
        });
    }

    /** Manifests of the artifacts matching the filter, in the artifacts' order. */
    List<ManifestEntry> manifests(ArtifactFilter filter) throws SQLException {
        List<Object> args = new ArrayList<>();
        String where = where(filter, args);
        List<ManifestEntry> out = database.read(c -> {
            List<ManifestEntry> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + ", M.ARTIFACT_ID, M.KEY_ID, "
                    + "M.MANIFEST, M.SIGNATURE, M.GENERATED_AT, M.EXPIRES_AT FROM PM_RELEASE_ARTIFACT A "
                    + "JOIN PM_RELEASE_MANIFEST M ON M.ARTIFACT_ID = A.ID" + where)) {
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(new ManifestEntry(artifact(rs, 1), manifest(rs, 17)));
                    }
                }
            }
            return list;
        });
        out.sort(Comparator.comparing(ManifestEntry::artifact, NEWEST_FIRST));
        return out;
    }

    // ---- rollback manifests ------------------------------------------------------------------------------------

    /** SQLStates after which reserving a counter is tried again: a unique key another process took first, a lock. */
    private static final java.util.Set<String> RETRY_STATES = java.util.Set.of("23505", "40001", "40XL1", "40XL2", "40P01");
    private static final int RESERVE_ATTEMPTS = 8;

    /**
     * The pseudo-version under which a rollback manifest's counter is kept in {@code PM_RELEASE_COUNTER}: never a
     * semantic version (it holds '/'), so no release ever collides with it, and its primary key makes the counter
     * one per artifact and rollout.
     */
    static String rollbackCounterKey(long artifactId, String rolloutId) {
        return "rollback/" + rolloutId + "/" + artifactId;
    }

    /**
     * The release counter of the rollback manifest of {@code artifact} for {@code rolloutId}: the one reserved
     * before, or one above every counter the component has had, reserved now. Reserved in {@code PM_RELEASE_COUNTER}
     * (under {@link #rollbackCounterKey}) so that the intake's next version gets a higher one still, and so that two
     * server processes reserving at once end with one counter: the loser's insert hits a unique key (the pair's, or
     * the component's counter) and it reads again.
     */
    long reserveRollbackCounter(Artifact artifact, String rolloutId, Instant now) throws SQLException {
        String key = rollbackCounterKey(artifact.id(), rolloutId);
        for (int attempt = 1; ; attempt++) {
            try {
                return database.inTransaction(c -> counter(c, artifact.component(), key, now));
            } catch (SQLException e) {
                if (attempt >= RESERVE_ATTEMPTS || !RETRY_STATES.contains(e.getSQLState())) {
                    throw e;
                }
            }
        }
    }

    /** A rollback manifest as stored: the artifact it describes, the rollout it is bound to, its counter. */
    record RollbackEntry(Artifact artifact, String rolloutId, long counter, SignedManifest manifest) {
    }

    private static final String ROLLBACK_SELECT = "SELECT " + ARTIFACT_COLUMNS + ", R.ARTIFACT_ID, R.KEY_ID, "
            + "R.MANIFEST, R.SIGNATURE, R.GENERATED_AT, R.EXPIRES_AT, R.ROLLOUT_ID, R.COUNTER "
            + "FROM PM_RELEASE_ROLLBACK_MANIFEST R JOIN PM_RELEASE_ARTIFACT A ON A.ID = R.ARTIFACT_ID";

    private static RollbackEntry rollbackEntry(ResultSet rs) throws SQLException {
        return new RollbackEntry(artifact(rs, 1), rs.getString(23), rs.getLong(24), manifest(rs, 17));
    }

    Optional<RollbackEntry> rollbackManifest(long artifactId, String rolloutId) throws SQLException {
        List<RollbackEntry> found = rollbackManifests(" WHERE R.ARTIFACT_ID = ? AND R.ROLLOUT_ID = ?", artifactId, rolloutId);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Every rollback manifest, oldest artifact first. */
    List<RollbackEntry> rollbackManifests() throws SQLException {
        return rollbackManifests("");
    }

    List<RollbackEntry> rollbackManifestsExpiringBefore(Instant instant) throws SQLException {
        return rollbackManifests(" WHERE R.EXPIRES_AT < ?", Timestamp.from(instant));
    }

    List<RollbackEntry> rollbackManifestsNotSignedBy(String keyId) throws SQLException {
        return rollbackManifests(" WHERE R.KEY_ID <> ?", keyId);
    }

    private List<RollbackEntry> rollbackManifests(String where, Object... args) throws SQLException {
        return database.read(c -> {
            List<RollbackEntry> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(ROLLBACK_SELECT + where + " ORDER BY R.ARTIFACT_ID, R.ROLLOUT_ID")) {
                bind(ps, List.of(args));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(rollbackEntry(rs));
                    }
                }
            }
            return list;
        });
    }

    /**
     * Stores the first rollback manifest of an artifact and rollout. When another process stored one first (the
     * primary key), that one stays and is returned: both carry the same counter, so either is right, and every
     * caller then serves the same bytes.
     */
    SignedManifest insertRollbackManifest(String rolloutId, long counter, SignedManifest m) throws SQLException {
        try {
            database.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_ROLLBACK_MANIFEST (ARTIFACT_ID, "
                        + "ROLLOUT_ID, COUNTER, KEY_ID, MANIFEST, SIGNATURE, GENERATED_AT, EXPIRES_AT) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setLong(1, m.artifactId());
                    ps.setString(2, rolloutId);
                    ps.setLong(3, counter);
                    ps.setString(4, m.keyId());
                    ps.setBytes(5, m.manifest());
                    ps.setString(6, m.signature());
                    ps.setTimestamp(7, Timestamp.from(m.generatedAt()));
                    ps.setTimestamp(8, Timestamp.from(m.expiresAt()));
                    ps.executeUpdate();
                }
                return null;
            });
            return m;
        } catch (SQLException e) {
            if (!"23505".equals(e.getSQLState())) {
                throw e;
            }
            return rollbackManifest(m.artifactId(), rolloutId).map(RollbackEntry::manifest)
                    .orElseThrow(() -> e); // taken, then gone (its artifact pruned): report the clash
        }
    }

    /** Replaces the bytes of a stored rollback manifest (re-signed; the counter stays). False when it is gone. */
    boolean updateRollbackManifest(String rolloutId, SignedManifest m) throws SQLException {
        return database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_RELEASE_ROLLBACK_MANIFEST SET KEY_ID = ?, "
                    + "MANIFEST = ?, SIGNATURE = ?, GENERATED_AT = ?, EXPIRES_AT = ? WHERE ARTIFACT_ID = ? AND ROLLOUT_ID = ?")) {
                ps.setString(1, m.keyId());
                ps.setBytes(2, m.manifest());
                ps.setString(3, m.signature());
                ps.setTimestamp(4, Timestamp.from(m.generatedAt()));
                ps.setTimestamp(5, Timestamp.from(m.expiresAt()));
                ps.setLong(6, m.artifactId());
                ps.setString(7, rolloutId);
                return ps.executeUpdate() == 1;
            }
        });
    }

    // ---- agent archive contents (hot-swap fields of the manifest) ----------------------------------------------

    /**
     * What was read from an agent archive: {@code bundlesJson} (canonical JSON array of the manifest's bundle
     * objects) and {@code runtimeSha256}, or {@code problem} when it is not a readable agent program.
     */
    record AgentContentsRow(long artifactId, String runtimeSha256, String bundlesJson, String problem) {
    }

    Optional<AgentContentsRow> agentContents(long artifactId) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT RUNTIME_SHA256, BUNDLES, PROBLEM FROM "
                    + "PM_RELEASE_AGENT_CONTENTS WHERE ARTIFACT_ID = ?")) {
                ps.setLong(1, artifactId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new AgentContentsRow(artifactId, rs.getString(1), rs.getString(2),
                            rs.getString(3))) : Optional.empty();
                }
            }
        });
    }

    /** Records (or replaces) what an agent archive holds. */
    void saveAgentContents(AgentContentsRow row, Instant examinedAt) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM PM_RELEASE_AGENT_CONTENTS WHERE ARTIFACT_ID = ?")) {
                del.setLong(1, row.artifactId());
                del.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_AGENT_CONTENTS (ARTIFACT_ID, "
                    + "RUNTIME_SHA256, BUNDLES, PROBLEM, EXAMINED_AT) VALUES (?, ?, ?, ?, ?)")) {
                ps.setLong(1, row.artifactId());
                ps.setString(2, row.runtimeSha256());
                ps.setString(3, row.bundlesJson());
                ps.setString(4, truncate(row.problem(), 2000));
                ps.setTimestamp(5, Timestamp.from(examinedAt));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** The bundle lists ({@code bundlesJson}) of every agent archive still recorded: what the bundle route serves. */
    List<String> agentBundleLists() throws SQLException {
        return database.read(c -> {
            List<String> lists = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT BUNDLES FROM PM_RELEASE_AGENT_CONTENTS "
                    + "WHERE BUNDLES IS NOT NULL");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lists.add(rs.getString(1));
                }
            }
            return lists;
        });
    }

    /** Artifacts that have no manifest yet (cached while no signer was available). */
    List<Artifact> artifactsWithoutManifest() throws SQLException {
        return database.read(c -> {
            List<Artifact> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A "
                    + "WHERE NOT EXISTS (SELECT 1 FROM PM_RELEASE_MANIFEST M WHERE M.ARTIFACT_ID = A.ID) ORDER BY A.ID");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    list.add(artifact(rs, 1));
                }
            }
            return list;
        });
    }

    /** Artifacts whose manifest expires before {@code instant}. */
    List<Artifact> artifactsWithManifestExpiringBefore(Instant instant) throws SQLException {
        return database.read(c -> {
            List<Artifact> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A "
                    + "JOIN PM_RELEASE_MANIFEST M ON M.ARTIFACT_ID = A.ID WHERE M.EXPIRES_AT < ? ORDER BY A.ID")) {
                ps.setTimestamp(1, Timestamp.from(instant));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(artifact(rs, 1));
                    }
                }
            }
            return list;
        });
    }

    /** Artifacts whose manifest another key than {@code keyId} signed (a rotation that was not followed by re-signing). */
    List<Artifact> artifactsWithManifestNotSignedBy(String keyId) throws SQLException {
        return database.read(c -> {
            List<Artifact> list = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ARTIFACT_COLUMNS + " FROM PM_RELEASE_ARTIFACT A "
                    + "JOIN PM_RELEASE_MANIFEST M ON M.ARTIFACT_ID = A.ID WHERE M.KEY_ID <> ? ORDER BY A.ID")) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(artifact(rs, 1));
                    }
                }
            }
            return list;
        });
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static String where(ArtifactFilter f, List<Object> args) {
        StringBuilder sql = new StringBuilder();
        condition(sql, args, "A.COMPONENT", f.component());
        condition(sql, args, "A.VERSION", f.version());
        condition(sql, args, "A.PLATFORM", f.platform());
        condition(sql, args, "A.ARCH", f.arch());
        condition(sql, args, "A.FORMAT", f.format());
        condition(sql, args, "A.CHANNEL", f.channel());
        return sql.toString();
    }

    private static void condition(StringBuilder sql, List<Object> args, String column, String value) {
        if (value == null || value.isEmpty()) {
            return;
        }
        sql.append(sql.length() == 0 ? " WHERE " : " AND ").append(column).append(" = ?");
        args.add(value);
    }

    static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }

    private static Artifact artifact(ResultSet rs, int first) throws SQLException {
        int i = first;
        return new Artifact(rs.getLong(i), rs.getString(i + 1), rs.getString(i + 2), rs.getString(i + 3),
                rs.getString(i + 4), rs.getString(i + 5), rs.getString(i + 6), rs.getString(i + 7), rs.getLong(i + 8),
                rs.getString(i + 9), rs.getString(i + 10), rs.getString(i + 11), rs.getString(i + 12),
                rs.getString(i + 13), instant(rs.getTimestamp(i + 14)), instant(rs.getTimestamp(i + 15)));
    }

    private static SignedManifest manifest(ResultSet rs, int first) throws SQLException {
        return new SignedManifest(rs.getLong(first), rs.getString(first + 1), rs.getBytes(first + 2),
                rs.getString(first + 3), instant(rs.getTimestamp(first + 4)), instant(rs.getTimestamp(first + 5)));
    }

    static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.TIMESTAMP);
        } else {
            ps.setTimestamp(index, Timestamp.from(value));
        }
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    static SemanticVersion versionOrNull(String text) {
        return SemanticVersion.tryParse(text).orElse(null);
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
