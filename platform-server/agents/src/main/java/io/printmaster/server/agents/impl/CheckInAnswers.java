package io.printmaster.server.agents.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Optional;

import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.FleetDirectory;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
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
 */
@Component(service = CheckInAnswers.class)
public class CheckInAnswers {
    static final String COMPONENT = "agent";

    private final FleetDirectory fleets;
    private final ReleaseCatalog catalog;

    @Activate
    public CheckInAnswers(@Reference FleetDirectory fleets, @Reference ReleaseCatalog catalog) {
        this.fleets = fleets;
        this.catalog = catalog;
    }

    /**
     * The answer for an agent that has just checked in (its record already holds what it reported).
     *
     * @return {@code agent_id, fleet_id, update_available, policy, policy_source, latest_version}, and {@code update}
     *         when one is offered ({@code version, format, sha256, size_bytes, manifest, manifest_base64, signature,
     *         key_id, download_url}); callers may add
     */
    Map<String, Object> answer(AgentRecord agent) throws SQLException {
        EffectivePolicy effective = fleets.effectivePolicy(agent.fleet());
        UpdatePolicy policy = effective.policy();
        String format = UpdateDownloadResource.defaultFormat(agent.platform());
        Map<SemanticVersion, Artifact> available = new HashMap<>();
        for (Artifact a : catalog.artifacts(new ReleaseCatalog.ArtifactFilter(COMPONENT, null, agent.platform(),
                agent.arch(), format, null))) {
            parse(a.version()).ifPresent(v -> available.putIfAbsent(v, a));
        }
        Optional<SemanticVersion> current = parse(agent.currentVersion());
        Optional<SemanticVersion> chosen = Optional.empty();
        if (policy.updatesEnabled() && current.isPresent()) {
            chosen = policy.versionSelector().select(available.keySet(), current.get());
        }
        Optional<SignedManifest> manifest = Optional.empty();
        if (chosen.isPresent()) {
            manifest = catalog.manifest(available.get(chosen.get()).id());
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agent_id", agent.id());
        out.put("fleet_id", agent.fleet());
        out.put("update_available", manifest.isPresent());
        out.put("policy", policy);
        out.put("policy_source", effective.source());
        out.put("latest_version", available.keySet().stream().filter(v -> !v.isPreRelease())
                .max(Comparator.naturalOrder()).map(SemanticVersion::toString).orElse(null));
        if (manifest.isPresent()) {
            Artifact artifact = available.get(chosen.get());
            SignedManifest m = manifest.get();
            Map<String, Object> update = new LinkedHashMap<>();
            update.put("version", artifact.version());
            update.put("format", artifact.format());
            update.put("sha256", artifact.sha256());
            update.put("size_bytes", artifact.sizeBytes());
            // the exact signed bytes: as a string for people, as base64 for byte-exact clients; both are the same
            update.put("manifest", new String(m.manifest(), StandardCharsets.UTF_8));
            update.put("manifest_base64", Base64.getEncoder().encodeToString(m.manifest()));
            update.put("signature", m.signature());
            update.put("key_id", m.keyId());
            update.put("expires_at", m.expiresAt());
            update.put("download_url", "/api/v1/agents/update/download/" + COMPONENT + "/" + artifact.version() + "/"
                    + agent.platform() + "-" + agent.arch() + "?format=" + artifact.format());
            out.put("update", update);
        }
        return out;
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
