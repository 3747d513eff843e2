package io.printmaster.server.rollouts.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.server.agents.api.GateDecision;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.RunTransition;
import io.printmaster.server.agents.impl.JdbcAgentDirectory;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rollouts bundle on a temporary Derby with the agents bundle's real tables and {@link AgentDirectory}: agents
 * are written as the agents bundle stores them, check-ins go through the gate exactly as the check-in route calls it
 * (decide, then admit in the check-in's transaction), run ends through the telemetry hook. Time is a hand-moved clock.
 */
final class RolloutsFixture implements AutoCloseable {
    final DerbyDatabase db;
    final AuditLog audit;
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    final Fleets fleets = new Fleets();
    final List<Artifact> artifacts = new ArrayList<>();
    final JdbcAgentDirectory directory;
    final RolloutStore store;
    final AutomaticRollouts automatic;
    final RolloutGate gate;
    final RolloutActions actions;
    final RolloutSweeper sweeper;
    final RolloutSettings settings = new RolloutSettings(600, 60, 30);
    private int runs;

    RolloutsFixture(Path dir) throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        directory = new JdbcAgentDirectory(db);
        store = new RolloutStore(db, audit, new RolloutClock(clock));
        automatic = new AutomaticRollouts(store, fleets, directory, new Catalog());
        gate = new RolloutGate(store, automatic, settings);
        actions = new RolloutActions(store);
        sweeper = new RolloutSweeper(store, automatic, fleets, settings, false);
    }

    ReleaseCatalog catalog() {
        return new Catalog();
    }

    /** A cached, signed agent archive of this version for linux/amd64. */
    void release(String version) {
        long id = artifacts.size() + 1;
        artifacts.add(new Artifact(id, "agent", version, "linux", "amd64", "tar.gz", "stable", String.format("%064x", id),
                1000, "printmaster-agent-" + version + ".tar.gz", "s", "directory", "file:///x", null, null,
                Instant.EPOCH));
    }

    /** A policy that moves agents to the newest release of their minor line, with this rollout control. */
    static UpdatePolicy policy(RolloutControl control, boolean requireApproval) {
        return new UpdatePolicy(7, "minor", false, null, true, MaintenanceWindowSettings.defaults(), control,
                requireApproval);
    }

    static RolloutControl control(boolean staggered, int maxConcurrent, int batch, int delay, int jitter) {
        return new RolloutControl(staggered, maxConcurrent, batch, delay, jitter, false);
    }

    /** Enrolled agents of the fleet, as the agents bundle stores them. */
    List<String> agents(String fleet, int count, String version) throws SQLException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(agent(fleet + "-" + (existing() + 1), fleet, version));
        }
        return ids;
    }

    String agent(String id, String fleet, String version) throws SQLException {
        String agentId = "agt_" + id;
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT (ID, FLEET_ID, CREDENTIAL_SHA256,"
                    + " JOIN_TOKEN_ID, HOSTNAME, PLATFORM, ARCH, CURRENT_VERSION, ENROLLED_AT) VALUES (?, ?, ?, 'jt', ?,"
                    + " 'linux', 'amd64', ?, ?)")) {
                ps.setString(1, agentId);
                ps.setString(2, fleet);
                ps.setString(3, String.format("%064d", existing() + 1));
                ps.setString(4, "host-" + id);
                ps.setString(5, version);
                ps.setTimestamp(6, Timestamp.from(clock.instant()));
                return ps.executeUpdate();
            }
        });
        return agentId;
    }

    private int existing() throws SQLException {
        return count("SELECT COUNT(*) FROM PM_AGENT");
    }

    int update(String sql, String parameter) throws SQLException {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, parameter);
                return ps.executeUpdate();
            }
        });
    }

    int count(String sql) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    /** A new update run id for the agent's next run. */
    String run() {
        return "run-" + (++runs);
    }

    /**
     * One check-in as the check-in route makes it: the policy's pick among the cached versions, the gate's decision,
     * then its admission in the transaction that records the check-in.
     */
    GateDecision checkIn(String agentId, String runId) throws SQLException {
        return checkIn(agentId, runId, false);
    }

    /** {@link #checkIn} of a run an administrator forced ("Update now") when {@code forced}. */
    GateDecision checkIn(String agentId, String runId, boolean forced) throws SQLException {
        AgentSnapshot agent = directory.agent(agentId).orElseThrow();
        UpdatePolicy policy = fleets.effectivePolicy(agent.fleet()).policy();
        Set<SemanticVersion> available = new HashSet<>();
        Set<String> versions = new HashSet<>();
        for (Artifact a : artifacts) {
            available.add(SemanticVersion.parse(a.version()));
            versions.add(a.version());
        }
        String pick = policy.versionSelector().select(available, SemanticVersion.parse(agent.currentVersion()))
                .map(SemanticVersion::toString).orElse(null);
        GateRequest request = new GateRequest(agent, "agent", pick, versions, runId, forced);
        GateDecision proposed = gate.decide(request);
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT SET LAST_SEEN_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(clock.instant()));
                ps.setString(2, agentId);
                ps.executeUpdate();
            }
            return gate.admit(c, request, proposed);
        });
    }

    /** The agent reports the end of its run; on success it now runs {@code version}. */
    void report(String agentId, String runId, String status, String version, String errorCode) throws SQLException {
        db.inTransaction(c -> {
            if ("succeeded".equals(status)) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE PM_AGENT SET CURRENT_VERSION = ? WHERE ID = ?")) {
                    ps.setString(1, version);
                    ps.setString(2, agentId);
                    ps.executeUpdate();
                }
            }
            gate.runTransition(c, agentId, new RunTransition(runId, status, version, version, errorCode, true));
            return null;
        });
    }

    /** An admin's rollout of {@code version} for the fleets, targets counted as the API counts them. */
    Rollout adminRollout(String version, List<String> fleetIds, Plan plan, Map<String, String> canary)
            throws Exception {
        FleetTargets targets = new FleetTargets(directory, new Catalog());
        Map<String, Integer> targeted = new java.util.LinkedHashMap<>();
        for (String fleet : fleetIds) {
            targeted.put(fleet, targets.belowVersion(fleet, "agent", SemanticVersion.parse(version)));
        }
        return store.create(new NewRollout("agent", version, Rollout.ADMIN, fleetIds, plan, false, null, targeted,
                canary, "alice"), null).orElseThrow();
    }

    static Plan plan(List<Plan.Wave> waves, int delay, int maxConcurrent, int success, int failure) {
        return new Plan(null, waves, delay, maxConcurrent, 0, success, failure);
    }

    static Plan.Wave percent(int p) {
        return new Plan.Wave(p, null);
    }

    Rollout rollout(String id) throws SQLException {
        return store.find(id).orElseThrow();
    }

    Map<String, Object> view(String id) throws SQLException {
        Rollout r = rollout(id);
        return RolloutViews.view(r, store.counts(id), store.waves(id), Map.of());
    }

    @Override
    public void close() {
        db.close();
    }

    /** Fleets whose effective policy a test sets (and changes: the stamp follows). */
    static final class Fleets implements FleetDirectory {
        final Map<String, EffectivePolicy> policies = new ConcurrentHashMap<>();

        void set(String fleet, UpdatePolicy policy, Instant at) {
            policies.put(fleet, new EffectivePolicy(fleet, EffectivePolicy.SOURCE_FLEET, policy, at, "admin"));
        }

        @Override
        public List<Fleet> list() {
            return policies.keySet().stream().sorted()
                    .map(id -> new Fleet(id, id, null, Instant.EPOCH, Instant.EPOCH)).toList();
        }

        @Override
        public Optional<Fleet> find(String id) {
            return policies.containsKey(id) ? Optional.of(new Fleet(id, id, null, Instant.EPOCH, Instant.EPOCH))
                    : Optional.empty();
        }

        @Override
        public EffectivePolicy effectivePolicy(String fleetId) {
            EffectivePolicy p = policies.get(fleetId);
            return p != null ? p : new EffectivePolicy(fleetId, EffectivePolicy.SOURCE_DEFAULT, UpdatePolicy.defaults(),
                    Instant.EPOCH, null);
        }
    }

    /** The release catalog's listing over {@link #artifacts}; every artifact is signed. */
    private final class Catalog implements ReleaseCatalog {
        @Override
        public List<Artifact> artifacts(ArtifactFilter f) {
            return artifacts.stream().filter(a -> (f.component() == null || f.component().equals(a.component()))
                    && (f.version() == null || f.version().equals(a.version()))
                    && (f.platform() == null || f.platform().equals(a.platform()))
                    && (f.arch() == null || f.arch().equals(a.arch()))
                    && (f.format() == null || f.format().equals(a.format())))
                    .sorted(Comparator.comparing(Artifact::id).reversed()).toList();
        }

        @Override
        public Optional<Path> file(String sha256) {
            return Optional.empty();
        }

        @Override
        public Optional<SignedManifest> manifest(long artifactId) {
            return Optional.of(new SignedManifest(artifactId, "key-1", new byte[] {'{', '}'}, "sig", Instant.EPOCH,
                    Instant.EPOCH.plusSeconds(86400L * 365 * 100)));
        }

        @Override
        public Optional<Path> bundleJar(Artifact artifact, String path, String sha256) {
            return Optional.empty();
        }
    }
}
