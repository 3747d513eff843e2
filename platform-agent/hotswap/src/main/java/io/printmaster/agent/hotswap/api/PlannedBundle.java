package io.printmaster.agent.hotswap.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One bundle of a release.
 *
 * @param symbolicName {@code Bundle-SymbolicName} without directives
 * @param version {@code Bundle-Version} as written in the manifest
 * @param sha256 SHA-256 (lower-case hex) of the jar's bytes; what decides whether the running bundle changed
 * @param jar the jar on disk (the release's version slot), kept after the swap: it is the backup of the next one
 */
public record PlannedBundle(String symbolicName, String version, String sha256, Path jar) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public PlannedBundle {
        Objects.requireNonNull(symbolicName, "symbolicName");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(jar, "jar");
        if (symbolicName.isBlank() || symbolicName.contains(";")) {
            throw new IllegalArgumentException("symbolicName: a bundle symbolic name without directives, was '"
                    + symbolicName + "'");
        }
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256: 64 lower-case hex digits expected for " + symbolicName
                    + ", was '" + sha256 + "'");
        }
    }
}
