package io.printmaster.agent.hotswap.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A vendor plugin of the plugins folder to replace with a new release of its component.
 *
 * @param component the plugin's release stream (journal and logs)
 * @param fromVersion the version that runs (journal and logs)
 * @param toVersion the version being installed (journal and logs)
 * @param pluginFile the plugin's jar in the plugins folder, which Felix FileInstall installed
 * @param newJar the new release's jar, already verified by the caller; the same bundle (symbolic name)
 * @param sha256 the new jar's SHA-256, lower-case hex
 * @param backup where the engine keeps the current jar while the new one is on trial
 * @param healthTimeout how long the new plugin has to pass the health gate
 */
public record PluginReplacement(String component, String fromVersion, String toVersion, Path pluginFile, Path newJar,
        String sha256, Path backup, Duration healthTimeout) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public PluginReplacement {
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(fromVersion, "fromVersion");
        Objects.requireNonNull(toVersion, "toVersion");
        Objects.requireNonNull(pluginFile, "pluginFile");
        Objects.requireNonNull(newJar, "newJar");
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(healthTimeout, "healthTimeout");
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256: 64 lower-case hex digits expected, was '" + sha256 + "'");
        }
        if (healthTimeout.isNegative() || healthTimeout.isZero()) {
            throw new IllegalArgumentException("healthTimeout: must be positive, was " + healthTimeout);
        }
    }
}
