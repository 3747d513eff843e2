package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.version.SemanticVersion;
import java.util.Optional;
import org.osgi.framework.BundleContext;

/**
 * The server release that runs now. {@code pm.version} names the version the process started as; a hot swap moves
 * the running release on without a restart. This revision of the bundle learns it from its own swap
 * ({@link #swappedTo}); a revision the swap installed asks the engine ({@code RunningRelease}) when it starts.
 */
final class RunningVersion {
    private static volatile SemanticVersion swappedTo;

    private RunningVersion() {
    }

    /** {@code started}, or the release this process was hot-swapped to since. */
    static SemanticVersion orStarted(SemanticVersion started) {
        SemanticVersion s = swappedTo;
        return s != null ? s : started;
    }

    static void swapped(String version) {
        SemanticVersion.tryParse(version).ifPresent(v -> swappedTo = v);
    }

    /** At activation: the engine's running release when it differs from {@code pm.version}; else {@code pmVersion}. */
    static String atStart(BundleContext context, String pmVersion) {
        try {
            Optional<String> engine = HotSwapApply.runningRelease(context);
            return engine.filter(v -> !v.isBlank()).orElse(pmVersion);
        } catch (NoClassDefFoundError e) {
            return pmVersion; // the engine's API is not installed: no hot swap ever ran
        }
    }
}
