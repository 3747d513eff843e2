package io.printmaster.server.releases.api;

import java.util.List;

/**
 * What changes when an agent goes from one release to another of the same platform and arch.
 *
 * @param bundles         the bundles added, removed or changed, sorted by symbolic name; unchanged ones are left out
 * @param restartRequired true when the runtimes differ (the launcher, framework, scripts or {@code conf/}: a full
 *                        install with a restart), or when either side's runtime is unknown (not an agent archive
 *                        that could be read); false when only bundles change (a hot swap)
 * @since 1.3
 */
public record ReleaseChanges(List<BundleChange> bundles, boolean restartRequired) {
    public ReleaseChanges {
        bundles = List.copyOf(bundles);
    }
}
