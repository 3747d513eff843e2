package io.printmaster.api.version;

import java.util.Locale;
import java.util.Objects;

/**
 * A set of versions an installation may run, written as {@code *} (any; {@code latest} is accepted as a synonym),
 * {@code 0.x} (major line 0), {@code 0.9.x} (minor line 0.9) or {@code 0.9.14} (exactly that version).
 *
 * <p>A pin only looks at version numbers: {@code 0.9.x} matches {@code 0.9.15-rc.1} too. Whether pre-releases are
 * wanted is {@link VersionSelector}'s decision, not the pin's. Immutable.
 */
public final class VersionPin {

    /** Matches every version. */
    public static final VersionPin ANY = new VersionPin(-1, -1, null);

    private static final String EXPECTED = "expected *, latest, MAJOR.x, MAJOR.MINOR.x or MAJOR.MINOR.PATCH";

    private final int major;      // -1: any
    private final int minor;      // -1: any minor of the major line
    private final SemanticVersion exact;

    private VersionPin(int major, int minor, SemanticVersion exact) {
        this.major = major;
        this.minor = minor;
        this.exact = exact;
    }

    /**
     * The pin that keeps an installation running {@code current} within {@code strategy}: {@code MAJOR} gives
     * {@code 0.x}, {@code MINOR} gives {@code 0.9.x}, {@code PATCH} gives exactly {@code current} (for
     * {@code current = 0.9.14}).
     */
    public static VersionPin of(PinStrategy strategy, SemanticVersion current) {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(current, "current");
        return switch (strategy) {
            case MAJOR -> majorLine(current.major());
            case MINOR -> minorLine(current.major(), current.minor());
            case PATCH -> exactly(current);
        };
    }

    /** All versions of one major line ({@code 2.x}). */
    public static VersionPin majorLine(int major) {
        requireNonNegative(major, "major");
        return new VersionPin(major, -1, null);
    }

    /** All versions of one minor line ({@code 2.4.x}). */
    public static VersionPin minorLine(int major, int minor) {
        requireNonNegative(major, "major");
        requireNonNegative(minor, "minor");
        return new VersionPin(major, minor, null);
    }

    /** Exactly one version (by precedence: build metadata is ignored). */
    public static VersionPin exactly(SemanticVersion version) {
        Objects.requireNonNull(version, "version");
        return new VersionPin(version.major(), version.minor(), version);
    }

    /**
     * Parses a pin: {@code *}, {@code latest}, {@code 0.x}, {@code 0.9.x}, {@code 0.9.14} ({@code X} and {@code *}
     * work as wildcards too, a leading {@code v} is dropped, and {@code 0.x.x} means {@code 0.x}).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static VersionPin parse(String text) {
        Objects.requireNonNull(text, "pin");
        String s = text.toLowerCase(Locale.ROOT);
        if (s.equals("*") || s.equals("x") || s.equals("latest")) {
            return ANY;
        }
        if (s.startsWith("v")) {
            s = s.substring(1);
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length == 2 && isWildcard(parts[1])) {
            return majorLine(number(text, parts[0]));
        }
        if (parts.length == 3 && isWildcard(parts[2])) {
            if (isWildcard(parts[1])) {
                return majorLine(number(text, parts[0]));
            }
            return minorLine(number(text, parts[0]), number(text, parts[1]));
        }
        if (parts.length < 3) {
            throw new IllegalArgumentException("'" + text + "' is not a version pin: " + EXPECTED);
        }
        try {
            return exactly(SemanticVersion.parse(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a version pin: " + EXPECTED, e);
        }
    }

    private static boolean isWildcard(String part) {
        return part.equals("x") || part.equals("*");
    }

    private static int number(String text, String part) {
        if (part.isEmpty() || !part.chars().allMatch(c -> c >= '0' && c <= '9')
                || part.length() > 1 && part.charAt(0) == '0' || part.length() > 9) {
            throw new IllegalArgumentException("'" + text + "' is not a version pin: '" + part
                    + "' is not a version number; " + EXPECTED);
        }
        return Integer.parseInt(part);
    }

    private static void requireNonNegative(int n, String name) {
        if (n < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + n);
        }
    }

    /** True when {@code version} lies in this pin. */
    public boolean matches(SemanticVersion version) {
        Objects.requireNonNull(version, "version");
        if (exact != null) {
            return exact.equals(version);
        }
        return (major < 0 || version.major() == major) && (minor < 0 || version.minor() == minor);
    }

    /** True for {@link #ANY}. */
    public boolean isAny() {
        return major < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionPin p && major == p.major && minor == p.minor && Objects.equals(exact, p.exact);
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, exact);
    }

    /** The canonical text: {@code *}, {@code 0.x}, {@code 0.9.x} or the exact version. */
    @Override
    public String toString() {
        if (exact != null) {
            return exact.toString();
        }
        if (major < 0) {
            return "*";
        }
        return minor < 0 ? major + ".x" : major + "." + minor + ".x";
    }
}
