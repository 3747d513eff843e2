package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.wire.TrustStatement;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.store.Database;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The inputs of a check-in answer that are the same for many agents, or for one agent between changes, kept in
 * memory on this replica ({@link SignalledCache}s) and dropped by the {@link io.printmaster.store.ClusterSignals}
 * that their writers publish in the transaction of every change: the agent a credential belongs to
 * ({@value #AGENT_CREDENTIAL}), fleets' effective policies ({@value #FLEET_POLICY}), the catalog's artifacts and
 * signed manifests ({@value #RELEASES_CATALOG}, also {@value #SIGNING_KEYS}), trust statements
 * ({@value #SIGNING_KEYS}) and whether an agent has pending commands ({@value #AGENT_COMMAND}). On this replica a
 * change is seen by the next check-in after its commit; on another one within the signals' poll (200 ms).
 *
 * <p>Everything with consequences is not cached: delivering commands and taking a rollout slot read and write the
 * database in the check-in's transaction.
 */
@Component(service = {CheckInCaches.class, SignalListener.class},
        property = {SignalListener.TOPICS + "=" + CheckInCaches.FLEET_POLICY,
                SignalListener.TOPICS + "=" + CheckInCaches.RELEASES_CATALOG,
                SignalListener.TOPICS + "=" + CheckInCaches.SIGNING_KEYS,
                SignalListener.TOPICS + "=" + CheckInCaches.AGENT_CREDENTIAL,
                SignalListener.TOPICS + "=" + CheckInCaches.AGENT_COMMAND})
public class CheckInCaches implements SignalListener {
    static final String FLEET_POLICY = "fleet.policy";
    static final String RELEASES_CATALOG = "releases.catalog";
    static final String SIGNING_KEYS = "signing.keys";
    /** Published by this bundle (revoke): scope the agent id. */
    static final String AGENT_CREDENTIAL = "agent.credential";
    static final String AGENT_COMMAND = "agent.command";

    /** Bounds: one entry per agent for the per-agent caches, far fewer for the shared ones. */
    static final int MAX_AGENTS = 200_000;
    static final int MAX_FLEETS = 10_000;
    static final int MAX_FILTERS = 2_000;
    static final int MAX_MANIFESTS = 10_000;
    static final int MAX_TRUST_VERSIONS = 1_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A fleet's effective policy with the etag of its content ({@code policy_etag}). */
    record Policy(EffectivePolicy effective, String etag) {
    }

    private final Database database;
    /** By credential hash: the agent as stored when it was read (never its secret). */
    final SignalledCache<String, Optional<AgentRecord>> credentials;
    /** By agent id: the agent as stored when it was read. */
    final SignalledCache<String, Optional<AgentRecord>> agents;
    final SignalledCache<String, Policy> policies;
    final SignalledCache<ReleaseCatalog.ArtifactFilter, List<Artifact>> artifacts;
    final SignalledCache<Long, Optional<SignedManifest>> manifests;
    final SignalledCache<Long, List<TrustStatement>> trust;
    /** By agent id: whether it has pending commands. */
    final SignalledCache<String, Boolean> pendingCommands;

    @Activate
    public CheckInCaches(@Reference Database database) {
        this(database, true);
    }

    /** @param keep false: nothing is kept, every lookup reads (for unit tests of code that has no signals) */
    CheckInCaches(Database database, boolean keep) {
        this.database = database;
        int k = keep ? 1 : 0;
        credentials = new SignalledCache<>(k * MAX_AGENTS);
        agents = new SignalledCache<>(k * MAX_AGENTS);
        policies = new SignalledCache<>(k * MAX_FLEETS);
        artifacts = new SignalledCache<>(k * MAX_FILTERS);
        manifests = new SignalledCache<>(k * MAX_MANIFESTS);
        trust = new SignalledCache<>(k * MAX_TRUST_VERSIONS);
        pendingCommands = new SignalledCache<>(k * MAX_AGENTS);
    }

    /** Caches that keep nothing: for code built without OSGi, where no signal would drop an entry. */
    static CheckInCaches none() {
        return new CheckInCaches(null, false);
    }

    @Override
    public void signalled(Signal signal) {
        String scope = signal.scope();
        switch (signal.topic()) {
            case FLEET_POLICY -> {
                if (scope == null) {
                    policies.invalidateAll(); // the global policy: every fleet that inherits it
                } else {
                    policies.invalidate(scope);
                }
            }
            case RELEASES_CATALOG -> {
                artifacts.invalidateAll();
                manifests.invalidateAll();
            }
            case SIGNING_KEYS -> {
                trust.invalidateAll();
                manifests.invalidateAll();
            }
            case AGENT_CREDENTIAL -> forgetAgent(scope);
            case AGENT_COMMAND -> {
                if (scope == null) {
                    pendingCommands.invalidateAll();
                } else {
                    pendingCommands.invalidate(scope);
                }
            }
            default -> {
                // not one of ours
            }
        }
    }

    /** Drops what is known of the agent (its credential was revoked or rotated, or it was deleted). */
    void forgetAgent(String agentId) {
        if (agentId == null) {
            credentials.invalidateAll();
            agents.invalidateAll();
            return;
        }
        credentials.invalidateIf(a -> a.isEmpty() || a.get().id().equals(agentId));
        agents.invalidate(agentId);
    }

    /** Whether the agent may have pending commands: cached per agent, read from the database otherwise. */
    boolean mayHavePendingCommands(String agentId) throws SQLException {
        return pendingCommands.get(agentId, id -> database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM PM_AGENT_COMMAND WHERE AGENT_ID = ? AND STATE = ?"
                    + " FETCH FIRST 1 ROWS ONLY")) {
                ps.setString(1, id);
                ps.setString(2, AgentCommandStore.PENDING);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        }));
    }

    /** The policy with its etag: the hash of its stored content and source. */
    static Policy withEtag(EffectivePolicy effective) throws SQLException {
        try {
            return new Policy(effective, etag(effective.source() + "\n" + JSON.writeValueAsString(effective.policy())));
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot serialize the policy for its etag", e);
        }
    }

    /** A short, stable name of some content: 128 bits of its SHA-256, hex. */
    static String etag(String content) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
