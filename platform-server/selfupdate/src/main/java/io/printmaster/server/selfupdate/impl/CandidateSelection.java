package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Os;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.release.Channel;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseNotes;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The server release a run would install now: among the cached artifacts of component {@code server} for this
 * server's platform and arch, in its archive format ({@code tar.gz}, {@code zip} on Windows) and on a channel the
 * policy takes, the version {@link UpdatePolicy#selector()} picks (newest within the pin, or the exact target).
 */
final class CandidateSelection {
    static final String COMPONENT = ComponentName.SERVER.value();

    /** A release to move to: the artifact whose file and manifest the run uses, and its notes when published. */
    record Candidate(Artifact artifact, SemanticVersion version, ReleaseNotes notes) {
    }

    private CandidateSelection() {
    }

    static String formatFor(Platform platform) {
        return platform.os() == Os.WINDOWS ? "zip" : "tar.gz";
    }

    static Optional<Candidate> select(ReleaseCatalog catalog, UpdatePolicy policy, SemanticVersion running,
                                      Platform platform) throws SQLException {
        Map<SemanticVersion, Artifact> byVersion = new LinkedHashMap<>();
        for (Artifact a : catalog.artifacts(new ReleaseCatalog.ArtifactFilter(COMPONENT, null, platform.os().wireName(),
                platform.arch().wireName(), formatFor(platform), null))) {
            Optional<SemanticVersion> v = SemanticVersion.tryParse(a.version());
            if (v.isEmpty() || !channelTaken(policy.channel(), a.channel())) {
                continue;
            }
            byVersion.putIfAbsent(v.get(), a); // newest first: the first artifact of a version is the one to take
        }
        if (policy.targetVersion() != null && policy.targetVersion().compareTo(running) < 0) {
            return Optional.empty(); // never down: a newer schema may already be in the database
        }
        Optional<SemanticVersion> chosen = policy.selector().select(byVersion.keySet(), running);
        if (chosen.isEmpty() || chosen.get().compareTo(running) <= 0) {
            return Optional.empty();
        }
        Artifact artifact = byVersion.get(chosen.get());
        ReleaseNotes notes = catalog.releaseNotes(COMPONENT, artifact.version()).orElse(null);
        return Optional.of(new Candidate(artifact, chosen.get(), notes));
    }

    private static boolean channelTaken(Channel followed, String artifactChannel) {
        try {
            return followed.accepts(Channel.fromWireName(artifactChannel));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
