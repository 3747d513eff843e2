package io.printmaster.server.releases.api;

import java.util.Objects;

/**
 * One bundle that differs between two agent releases, by the {@code bundles} lists of their signed manifests.
 *
 * @param symbolicName the bundle's symbolic name
 * @param fromVersion  its {@code Bundle-Version} in the release updated from; null when {@link #ADDED}
 * @param toVersion    its {@code Bundle-Version} in the release updated to; null when {@link #REMOVED}
 * @param change       {@value #ADDED}, {@value #REMOVED} or {@value #CHANGED} (same name, other bytes: the version
 *                     may be the same, e.g. two snapshot builds)
 * @since 1.3
 */
public record BundleChange(String symbolicName, String fromVersion, String toVersion, String change) {
    public static final String ADDED = "added";
    public static final String REMOVED = "removed";
    public static final String CHANGED = "changed";

    public BundleChange {
        Objects.requireNonNull(symbolicName, "symbolicName");
        if (!ADDED.equals(change) && !REMOVED.equals(change) && !CHANGED.equals(change)) {
            throw new IllegalArgumentException("change: added, removed or changed, got " + change);
        }
    }
}
