package io.printmaster.server.rollouts.impl;

import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.agents.api.AgentGroup;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseChanges;
import io.printmaster.server.releases.api.ReleaseNotes;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the approval view shows beyond the rollout's own state: the agents targeted in each fleet, the release notes
 * (the Markdown as published and sanitized HTML) and the bundles that change for the most common version, platform
 * and arch the rollout moves agents from.
 */
final class RolloutDetails {
    private final ReleaseCatalog catalog;
    private final AgentDirectory agents;

    RolloutDetails(ReleaseCatalog catalog, AgentDirectory agents) {
        this.catalog = catalog;
        this.agents = agents;
    }

    Map<String, Object> extra(Rollout r, RolloutStore store) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("targeted_by_fleet", store.database().read(c -> RolloutRows.targetedByFleet(c, r.id())));
        Optional<ReleaseNotes> notes = catalog.releaseNotes(r.component(), r.version());
        out.put("release_notes", notes.map(ReleaseNotes::markdown).orElse(null));
        out.put("release_notes_html", notes.map(ReleaseNotes::html).orElse(null));
        out.put("changes", changes(r));
        return out;
    }

    /** The changes from the most common older version among the rollout's fleets' agents, or null when unknown. */
    private Map<String, Object> changes(Rollout r) throws SQLException {
        Optional<SemanticVersion> to = FleetTargets.parse(r.version());
        if (to.isEmpty()) {
            return null;
        }
        Map<AgentGroup, Long> counts = new HashMap<>();
        for (String fleet : r.fleets()) {
            for (AgentGroup g : agents.groups(fleet)) {
                Optional<SemanticVersion> v = FleetTargets.parse(g.currentVersion());
                if (v.isPresent() && !v.get().equals(to.get())) {
                    counts.merge(new AgentGroup(g.currentVersion(), g.platform(), g.arch(), 0), g.count(), Long::sum);
                }
            }
        }
        Optional<AgentGroup> common = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey);
        if (common.isEmpty()) {
            return null;
        }
        AgentGroup g = common.get();
        Optional<Artifact> from = artifact(r.component(), g.currentVersion(), g.platform(), g.arch());
        Optional<Artifact> target = artifact(r.component(), r.version(), g.platform(), g.arch());
        if (from.isEmpty() || target.isEmpty()) {
            return null;
        }
        Optional<ReleaseChanges> changes = catalog.changes(from.get().id(), target.get().id());
        if (changes.isEmpty()) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from_version", g.currentVersion());
        out.put("platform", g.platform());
        out.put("arch", g.arch());
        out.put("agents", counts.get(g));
        out.put("restart_required", changes.get().restartRequired());
        out.put("bundles", changes.get().bundles());
        return out;
    }

    private Optional<Artifact> artifact(String component, String version, String platform, String arch)
            throws SQLException {
        List<Artifact> found = catalog.artifacts(new ReleaseCatalog.ArtifactFilter(component, version, platform, arch,
                FleetTargets.defaultFormat(platform), null));
        return found.stream().findFirst();
    }
}
