package io.printmaster.server.rollouts.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.agents.api.AgentGroup;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which agents of a fleet a release targets, counted cheaply: one grouped query per fleet (version, platform, arch)
 * and the cached artifacts per platform and arch, never a row per agent.
 */
final class FleetTargets {
    private final AgentDirectory agents;
    private final ReleaseCatalog catalog;

    FleetTargets(AgentDirectory agents, ReleaseCatalog catalog) {
        this.agents = agents;
        this.catalog = catalog;
    }

    /** The official format of an agent archive for a platform (what check-ins offer). */
    static String defaultFormat(String platform) {
        return "windows".equals(platform) ? "zip" : "tar.gz";
    }

    /** An admin rollout's targets in the fleet: agents below {@code version} whose platform has it. */
    int belowVersion(String fleet, String component, SemanticVersion version) throws SQLException {
        Availability available = new Availability(component);
        int count = 0;
        for (AgentGroup g : agents.groups(fleet)) {
            Optional<SemanticVersion> current = parse(g.currentVersion());
            if (current.isPresent() && current.get().compareTo(version) < 0
                    && available.versions(g.platform(), g.arch()).contains(version)) {
                count += (int) g.count();
            }
        }
        return count;
    }

    /** A policy rollout's targets: agents whose policy selects {@code version}. */
    int selecting(String fleet, String component, UpdatePolicy policy, SemanticVersion version) throws SQLException {
        return picks(fleet, component, policy).getOrDefault(version, 0);
    }

    /** How many agents of the fleet the policy moves to each version (agents it moves nowhere are left out). */
    TreeMap<SemanticVersion, Integer> picks(String fleet, String component, UpdatePolicy policy) throws SQLException {
        Availability available = new Availability(component);
        TreeMap<SemanticVersion, Integer> out = new TreeMap<>();
        for (AgentGroup g : agents.groups(fleet)) {
            Optional<SemanticVersion> current = parse(g.currentVersion());
            if (current.isEmpty()) {
                continue;
            }
            Optional<SemanticVersion> pick = policy.versionSelector()
                    .select(available.versions(g.platform(), g.arch()), current.get());
            pick.ifPresent(v -> out.merge(v, (int) g.count(), Integer::sum));
        }
        return out;
    }

    /** Whether any cached artifact of this release exists. */
    boolean released(String component, String version) throws SQLException {
        return !catalog.artifacts(new ReleaseCatalog.ArtifactFilter(component, version, null, null, null, null)).isEmpty();
    }

    /** The cached versions per platform and arch, fetched once each within one count. */
    private final class Availability {
        private final String component;
        private final Map<String, Set<SemanticVersion>> byPlatform = new HashMap<>();

        Availability(String component) {
            this.component = component;
        }

        Set<SemanticVersion> versions(String platform, String arch) throws SQLException {
            String key = platform + "/" + arch;
            Set<SemanticVersion> known = byPlatform.get(key);
            if (known == null) {
                known = new HashSet<>();
                for (Artifact a : catalog.artifacts(new ReleaseCatalog.ArtifactFilter(component, null, platform, arch,
                        defaultFormat(platform), null))) {
                    parse(a.version()).ifPresent(known::add);
                }
                byPlatform.put(key, known);
            }
            return known;
        }
    }

    static Optional<SemanticVersion> parse(String version) {
        if (version == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(SemanticVersion.parse(version));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
