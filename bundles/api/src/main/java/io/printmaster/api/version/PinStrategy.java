package io.printmaster.api.version;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How far automatic updates may move an installation from the version it runs; see
 * {@link VersionPin#of(PinStrategy, SemanticVersion)}. The wire names are {@code major}, {@code minor} and
 * {@code patch} (the policy field {@code version_pin_strategy}).
 */
public enum PinStrategy {
    /** Stay on the installed major line: {@code 0.9.14} follows {@code 0.x}. */
    MAJOR("major"),
    /** Stay on the installed minor line, patches only: {@code 0.9.14} follows {@code 0.9.x}. */
    MINOR("minor"),
    /** Stay on exactly the installed version: {@code 0.9.14} stays {@code 0.9.14} until an explicit target. */
    PATCH("patch");

    private final String wireName;

    PinStrategy(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in JSON and configuration. */
    public String wireName() {
        return wireName;
    }

    /**
     * The strategy with this wire name, ignoring case.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static PinStrategy fromWireName(String name) {
        if (name != null) {
            String n = name.toLowerCase(Locale.ROOT);
            for (PinStrategy s : values()) {
                if (s.wireName.equals(n)) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown version pin strategy '" + name + "': expected one of "
                + Arrays.stream(values()).map(PinStrategy::wireName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
