package io.printmaster.server.agents.impl;

import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A release catalog and a fleet directory for building check-in answers without a server: artifacts added by hand,
 * every one signed (manifest text {@code {"artifact":<id>}}, signature {@code sig-<id>}, key {@code key-1}) unless
 * its id is in {@link #unsigned}.
 */
final class OfferFixture {
    final List<Artifact> artifacts = new ArrayList<>();
    final Set<Long> unsigned = new HashSet<>();
    private final Instant expires;

    OfferFixture(Instant expires) {
        this.expires = expires;
    }

    void artifact(long id, String component, String version, String platform, String arch, String format) {
        artifacts.add(new Artifact(id, component, version, platform, arch, format, "stable", sha(id), 1000 + id,
                "printmaster-" + component + "-v" + version + "." + format, "s", "directory", "file:///x", null, null,
                Instant.EPOCH));
    }

    static String sha(long id) {
        return String.format("%064x", id);
    }

    static String manifestText(long id) {
        return "{\"artifact\":" + id + "}";
    }

    ReleaseCatalog catalog() {
        return new Catalog();
    }

    /** Every fleet has {@code policy}, as its own. */
    record Fleets(UpdatePolicy policy) implements FleetDirectory {
        public List<Fleet> list() {
            return List.of();
        }

        public Optional<Fleet> find(String id) {
            return Optional.empty();
        }

        public EffectivePolicy effectivePolicy(String fleetId) {
            return new EffectivePolicy(fleetId, EffectivePolicy.SOURCE_FLEET, policy, Instant.EPOCH, "admin");
        }
    }

    /** The release catalog's answers over {@link #artifacts}. */
    private final class Catalog implements ReleaseCatalog {
        public List<Artifact> artifacts(ArtifactFilter f) {
            return artifacts.stream().filter(a -> (f.component() == null || f.component().equals(a.component()))
                    && (f.version() == null || f.version().equals(a.version()))
                    && (f.platform() == null || f.platform().equals(a.platform()))
                    && (f.arch() == null || f.arch().equals(a.arch()))
                    && (f.format() == null || f.format().equals(a.format())))
                    .sorted(Comparator.comparing(Artifact::id)).toList();
        }

        public Optional<Path> file(String sha256) {
            return Optional.empty();
        }

        public Optional<SignedManifest> manifest(long id) {
            return unsigned.contains(id) ? Optional.empty() : Optional.of(new SignedManifest(id, "key-1",
                    manifestText(id).getBytes(StandardCharsets.UTF_8), "sig-" + id, Instant.EPOCH, expires));
        }

        public Optional<Path> bundleJar(Artifact artifact, String path, String sha256) {
            return Optional.empty();
        }
    }
}
