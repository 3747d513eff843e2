package io.printmaster.server.agents.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.server.agents.api.GateDecision;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.UpdateGate;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.PluginVersion;
import io.printmaster.core.wire.UpdateOffer;
import java.sql.SQLException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * What the server answers an agent's check-in: who it is, its fleet's effective policy, and the update it should
 * install, if any. Kept apart from the route so the offer can grow (pending commands, rollout waves) without
 * touching authentication or the check-in record.
 *
 * <p>The offer follows the fleet's policy, not simply the newest release: among the cached {@code agent} artifacts
 * for the agent's platform, arch and official format that have a signed manifest, {@link UpdatePolicy#versionSelector}
 * picks the version (an explicit {@code target_version} wins, even to roll back; otherwise the newest version the pin
 * allows, so an agent pinned to {@code 0.9.x} gets the newest {@code 0.9.x}). The manifest is sent as the exact
 * stored bytes with their signature: the agent verifies those bytes, never a re-serialized object.
 *
 * <p>Vendor plugins the agent reports ({@code plugins}) are offered in {@code plugin_updates}: for each, the newest
 * cached {@code jar} artifact of its component for the agent's platform and arch (or for {@code any}/{@code any}),
 * not a pre-release, higher than the reported version and with a signed manifest. Pins and {@code target_version}
 * are for the agent only; only {@link UpdatePolicy#updatesEnabled()} applies.
 *
 * <p>The agent's own update passes the {@link UpdateGate} (staged rollouts): the policy's pick is only a proposal.
 */
@Component(service = CheckInAnswers.class)
public class CheckInAnswers {
    static final String COMPONENT = "agent";
    /** The format of vendor plugin artifacts: the bundle jar itself. */
    static final String PLUGIN_FORMAT = "jar";

    private final FleetDirectory fleets;
    private final ReleaseCatalog catalog;
    private final UpdateGate gate;
    private final CheckInCaches caches;

    /** Without caches: every answer reads the policy and the catalog (unit tests without signals). */
    CheckInAnswers(FleetDirectory fleets, ReleaseCatalog catalog, UpdateGate gate) {
        this(fleets, catalog, gate, CheckInCaches.none());
    }

    /** The gate is mandatory: without the rollouts bundle check-ins are refused rather than answered ungated. */
    @Activate
    public CheckInAnswers(@Reference FleetDirectory fleets, @Reference ReleaseCatalog catalog,
                          @Reference UpdateGate gate, @Reference CheckInCaches caches) {
        this.fleets = fleets;
        this.catalog = catalog;
        this.gate = gate;
        this.caches = caches;
    }

    /**
     * An answer worked out before the check-in commits: what the gate proposed for the agent's own update and the
     * answer that carries it. {@link #admitted} turns it into what is sent once the gate admitted (or held) it.
     */
    record Prepared(CheckInAnswer answer, GateRequest request, GateDecision proposed) {

        /** The answer as sent: the offer when the gate admitted it, else none and the gate's retry. */
        CheckInAnswer admitted(GateDecision decision) {
            if (decision.offers() && answer.update() != null) {
                return answer;
            }
            return new CheckInAnswer(answer.agentId(), answer.fleetId(), false, answer.policy(),
                    answer.policySource(), answer.latestVersion(), null, answer.pluginUpdates(), answer.commands(),
                    answer.trustStatements(), decision.retryAfterSeconds(), answer.policyEtag(), null, List.of());
        }

        /**
         * Whether the gate must admit the proposal in the check-in's transaction: it offers a rollout's version
         * (a slot may be taken). Otherwise the proposal is the answer.
         */
        boolean needsAdmission() {
            return proposed.offers() && proposed.rolloutId() != null;
        }
    }

    /**
     * The answer for an agent that checks in (as it reports itself now) with these vendor plugins, before the
     * check-in is recorded: the policy selects a version, the {@link UpdateGate} says what of it may be offered
     * (a staged rollout may hold the agent back, offer the rollout's version or a rollback), and the offer's
     * artifact and manifest are fetched now, so nothing that may fail runs once the check-in commits.
     *
     * @return the answer without {@code commands} (the route adds those once the check-in is recorded)
     */
    Prepared answer(AgentRecord agent, List<PluginVersion> plugins, String runId) throws SQLException {
        return answer(agent, plugins, runId, false);
    }

    /** @param forced the run follows an administrator's "Update now" (see {@link GateRequest#forced()}) */
    Prepared answer(AgentRecord agent, List<PluginVersion> plugins, String runId, boolean forced) throws SQLException {
        CheckInCaches.Policy cached = caches.policies.get(agent.fleet(),
                f -> CheckInCaches.withEtag(fleets.effectivePolicy(f)));
        EffectivePolicy effective = cached.effective();
        UpdatePolicy policy = effective.policy();
        String format = UpdateDownloadResource.defaultFormat(agent.platform());
        Map<SemanticVersion, Artifact> available = new HashMap<>();
        for (Artifact a : artifacts(new ReleaseCatalog.ArtifactFilter(COMPONENT, null, agent.platform(),
                agent.arch(), format, null))) {
            parse(a.version()).ifPresent(v -> available.putIfAbsent(v, a));
        }
        Map<String, Artifact> byVersion = new HashMap<>();
        available.forEach((v, a) -> byVersion.put(v.toString(), a));
        Optional<SemanticVersion> current = parse(agent.currentVersion());
        Optional<SemanticVersion> chosen = Optional.empty();
        // the fleet's emergency stop: no update (agent or plugin) is offered while it is set, "Update now" included
        boolean offering = policy.updatesEnabled() && !policy.rolloutControl().emergencyAbort();
        if (offering && current.isPresent()) {
            chosen = policy.versionSelector().select(available.keySet(), current.get());
        }
        GateRequest request = new GateRequest(new AgentSnapshot(agent.id(), agent.fleet(), agent.hostname(),
                agent.platform(), agent.arch(), agent.currentVersion(), agent.enrolledAt()), COMPONENT,
                chosen.map(SemanticVersion::toString).orElse(null), byVersion.keySet(), runId, forced);
        GateDecision decision = offering && current.isPresent() ? gate.decide(request) : GateDecision.none();

        UpdateOffer update = null;
        Artifact artifact = decision.offers() ? byVersion.get(decision.version()) : null;
        if (artifact != null) {
            Optional<SignedManifest> manifest = decision.kind() == GateDecision.Kind.ROLLBACK
                    ? rollbackManifest(artifact, decision.rolloutId()) : manifest(artifact.id());
            if (manifest.isPresent()) {
                // the agent's own offer names no component: the agent is the component
                update = offer(null, agent, artifact, manifest.get());
                if (decision.rolloutId() != null) {
                    update = update.withRolloutId(decision.rolloutId());
                }
            }
        }
        if (decision.offers() && update == null) {
            decision = GateDecision.none(); // nothing signed to offer: the gate must not take a slot for it
        }
        String latest = available.keySet().stream().filter(v -> !v.isPreRelease())
                .max(Comparator.naturalOrder()).map(SemanticVersion::toString).orElse(null);
        CheckInAnswer answer = new CheckInAnswer(agent.id(), agent.fleet(), update != null, policy, effective.source(),
                latest, update, offering ? pluginUpdates(agent, plugins) : List.of(), List.of(), List.of(),
                decision.retryAfterSeconds()).withEtags(cached.etag(), update == null ? null : manifestEtag(update));
        return new Prepared(answer, request, decision);
    }

    /** The catalog's artifacts of a filter, cached until the catalog changes ({@link CheckInCaches}). */
    private List<Artifact> artifacts(ReleaseCatalog.ArtifactFilter filter) throws SQLException {
        return caches.artifacts.get(filter, catalog::artifacts);
    }

    /** An artifact's signed manifest, cached until the catalog or the keys change. */
    private Optional<SignedManifest> manifest(long artifactId) throws SQLException {
        return caches.manifests.get(artifactId, catalog::manifest);
    }

    /**
     * The etag of an offer: what the agent would install and verify (version, artifact hash, the manifest's exact
     * signature and expiry, the rollout, where it downloads), so a re-signed manifest or another rollout is news.
     */
    static String manifestEtag(UpdateOffer u) {
        return CheckInCaches.etag(u.version() + "\n" + u.sha256() + "\n" + u.signature() + "\n" + u.keyId() + "\n"
                + u.expiresAt() + "\n" + u.rolloutId() + "\n" + u.downloadUrl() + "\n" + u.manifestBase64().length());
    }

    /**
     * The rollback manifest of {@code artifact} bound to the rollout ({@code "downgrade": true}, {@code rollout_id},
     * a release counter above the one the agent installed); empty when no key may sign now, and then nothing is
     * offered (the gate takes no slot).
     */
    private Optional<SignedManifest> rollbackManifest(Artifact artifact, String rolloutId) throws SQLException {
        return catalog.downgradeManifest(artifact.id(), rolloutId);
    }

    /** The offers for the reported plugins (see the class comment), in the order reported. */
    private List<UpdateOffer> pluginUpdates(AgentRecord agent, List<PluginVersion> plugins) throws SQLException {
        List<UpdateOffer> offers = new ArrayList<>();
        for (PluginVersion plugin : plugins) {
            Optional<SemanticVersion> current = parse(plugin.version());
            if (current.isEmpty()) {
                continue; // as for the agent: a version that is not semantic is offered nothing
            }
            // per version, the artifact the download route serves for this agent: its own platform's, else any-any
            TreeMap<SemanticVersion, Artifact> newer = new TreeMap<>(Comparator.reverseOrder());
            for (Artifact a : artifacts(new ReleaseCatalog.ArtifactFilter(plugin.component(), null, null, null,
                    PLUGIN_FORMAT, null))) {
                boolean own = agent.platform().equals(a.platform()) && agent.arch().equals(a.arch());
                boolean any = Artifact.ANY.equals(a.platform()) && Artifact.ANY.equals(a.arch());
                Optional<SemanticVersion> v = parse(a.version());
                if ((own || any) && v.isPresent() && !v.get().isPreRelease() && v.get().compareTo(current.get()) > 0) {
                    newer.merge(v.get(), a, (kept, other) -> Artifact.ANY.equals(kept.platform()) ? other : kept);
                }
            }
            for (Artifact candidate : newer.values()) {
                Optional<SignedManifest> manifest = manifest(candidate.id());
                if (manifest.isPresent()) {
                    offers.add(offer(candidate.component(), agent, candidate, manifest.get()));
                    break;
                }
            }
        }
        return offers;
    }

    /**
     * One offer: the artifact, its exact signed manifest bytes (as a string for people, as base64 for byte-exact
     * clients; both are the same) and where this agent downloads it (its own platform-arch: the download route
     * falls back to any-any).
     */
    private static UpdateOffer offer(String component, AgentRecord agent, Artifact artifact, SignedManifest m) {
        return new UpdateOffer(component, artifact.version(), artifact.format(), artifact.sha256(), artifact.sizeBytes(),
                new String(m.manifest(), StandardCharsets.UTF_8), Base64.getEncoder().encodeToString(m.manifest()),
                m.signature(), m.keyId(), m.expiresAt(), "/api/v1/agents/update/download/" + artifact.component() + "/"
                + artifact.version() + "/" + agent.platform() + "-" + agent.arch() + "?format=" + artifact.format());
    }

    private static Optional<SemanticVersion> parse(String version) {
        if (version == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(SemanticVersion.parse(version));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // an agent reporting garbage is offered nothing rather than guessed at
        }
    }
}
