package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.wire.ManifestBundle;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.BundleChange;
import io.printmaster.server.releases.api.ReleaseChanges;
import io.printmaster.server.releases.api.SignedManifest;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What changes between two agent releases, read from their signed manifests (the bytes agents verify, so the
 * approval view shows what the agents will do): bundles by symbolic name, and the runtime hashes.
 */
final class ReleaseChangesReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReleaseChangesReader() {
    }

    static ReleaseChanges changes(SignedManifest from, SignedManifest to) throws SQLException {
        ReleaseManifest a = read(from);
        ReleaseManifest b = read(to);
        Map<String, ManifestBundle> before = byName(a.bundles());
        Map<String, ManifestBundle> after = byName(b.bundles());
        List<BundleChange> changes = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        for (String name : names) {
            ManifestBundle was = before.get(name);
            ManifestBundle is = after.get(name);
            if (was == null) {
                changes.add(new BundleChange(name, null, is.version(), BundleChange.ADDED));
            } else if (is == null) {
                changes.add(new BundleChange(name, was.version(), null, BundleChange.REMOVED));
            } else if (!Objects.equals(was.sha256(), is.sha256())) {
                changes.add(new BundleChange(name, was.version(), is.version(), BundleChange.CHANGED));
            }
        }
        // unknown on either side (not an agent archive, or one that could not be read): only a full install is safe
        boolean restart = a.runtimeSha256() == null || b.runtimeSha256() == null
                || !a.runtimeSha256().equals(b.runtimeSha256());
        return new ReleaseChanges(changes, restart);
    }

    /** By symbolic name; a name listed twice (agents refuse such a manifest) keeps its first entry. */
    private static Map<String, ManifestBundle> byName(List<ManifestBundle> bundles) {
        Map<String, ManifestBundle> out = new LinkedHashMap<>();
        for (ManifestBundle b : bundles) {
            if (b.symbolicName() != null) {
                out.putIfAbsent(b.symbolicName(), b);
            }
        }
        return out;
    }

    private static ReleaseManifest read(SignedManifest m) throws SQLException {
        try {
            return JSON.readValue(m.manifest(), ReleaseManifest.class);
        } catch (IOException e) {
            // the bytes were written by this server; unreadable means the stored row is damaged
            throw new SQLException("the stored manifest of artifact " + m.artifactId() + " is unreadable: " + e, e);
        }
    }
}
