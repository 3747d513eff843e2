package io.printmaster.api.version;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A version number as defined by <a href="https://semver.org/spec/v2.0.0.html">Semantic Versioning 2.0.0</a>:
 * {@code MAJOR.MINOR.PATCH}, an optional pre-release ({@code -rc.1}) and optional build metadata ({@code +build.5}).
 *
 * <p>Ordering is SemVer precedence: numbers compare numerically; a pre-release comes before its release
 * ({@code 1.0.0-rc.1 < 1.0.0}); pre-release identifiers compare one by one, numeric ones numerically and before
 * alphanumeric ones, alphanumeric ones in ASCII order, and a shorter list first when all shared ones are equal.
 * Build metadata does not count: {@code 1.0.0+a} and {@code 1.0.0+b} have the same precedence and are
 * {@link #equals equal}, so {@code equals}, {@code hashCode} and {@code compareTo} agree. {@link #toString()}
 * still shows the build metadata that was parsed.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class SemanticVersion implements Comparable<SemanticVersion> {

    private final int major;
    private final int minor;
    private final int patch;
    private final List<String> preRelease;
    private final List<String> build;

    private SemanticVersion(int major, int minor, int patch, List<String> preRelease, List<String> build) {
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.preRelease = List.copyOf(preRelease);
        this.build = List.copyOf(build);
    }

    /**
     * A release version without pre-release or build metadata.
     *
     * @throws IllegalArgumentException if a number is negative
     */
    public static SemanticVersion of(int major, int minor, int patch) {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("version numbers must not be negative: " + major + "." + minor + "." + patch);
        }
        return new SemanticVersion(major, minor, patch, List.of(), List.of());
    }

    /**
     * Parses {@code 1.2.3}, {@code 1.2.3-rc.1}, {@code 1.2.3-rc.1+build.5}; one leading {@code v} or {@code V} (as in
     * Git tags such as {@code v1.2.3}) is accepted and dropped. Nothing else is tolerated: no surrounding blanks, no
     * missing parts ({@code 1.2}), no leading zeros in numbers ({@code 01.2.3}).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static SemanticVersion parse(String text) {
        Objects.requireNonNull(text, "version");
        String s = text;
        if (s.startsWith("v") || s.startsWith("V")) {
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty version: expected MAJOR.MINOR.PATCH such as 1.2.3");
        }
        List<String> build = List.of();
        int plus = s.indexOf('+');
        if (plus >= 0) {
            build = identifiers(text, s.substring(plus + 1), "build metadata");
            s = s.substring(0, plus);
        }
        List<String> pre = List.of();
        int dash = s.indexOf('-');
        if (dash >= 0) {
            pre = identifiers(text, s.substring(dash + 1), "pre-release");
            for (String id : pre) {
                if (isNumeric(id) && id.length() > 1 && id.charAt(0) == '0') {
                    throw new IllegalArgumentException(
                            "'" + text + "' is not a semantic version: numeric pre-release identifier '" + id
                                    + "' must not have leading zeros");
                }
            }
            s = s.substring(0, dash);
        }
        String[] core = s.split("\\.", -1);
        if (core.length != 3) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a semantic version: expected MAJOR.MINOR.PATCH such as 1.2.3");
        }
        return new SemanticVersion(number(text, core[0], "major"), number(text, core[1], "minor"),
                number(text, core[2], "patch"), pre, build);
    }

    /** Like {@link #parse} but empty instead of an exception when {@code text} is null or not a version. */
    public static Optional<SemanticVersion> tryParse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static int number(String text, String part, String name) {
        if (part.isEmpty() || !isNumeric(part)) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a semantic version: " + name + " version '" + part + "' is not a number");
        }
        if (part.length() > 1 && part.charAt(0) == '0') {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a semantic version: " + name + " version '" + part + "' must not have leading zeros");
        }
        try {
            return Integer.parseInt(part);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a semantic version: " + name + " version " + part + " is too large", e);
        }
    }

    private static List<String> identifiers(String text, String part, String what) {
        List<String> out = new ArrayList<>();
        for (String id : part.split("\\.", -1)) {
            if (id.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' is not a semantic version: empty " + what + " identifier");
            }
            for (int i = 0; i < id.length(); i++) {
                char c = id.charAt(i);
                if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-')) {
                    throw new IllegalArgumentException("'" + text + "' is not a semantic version: " + what
                            + " identifier '" + id + "' may only contain [0-9A-Za-z-]");
                }
            }
            out.add(id);
        }
        return out;
    }

    private static boolean isNumeric(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    public int major() {
        return major;
    }

    public int minor() {
        return minor;
    }

    public int patch() {
        return patch;
    }

    /** The pre-release identifiers ({@code [rc, 1]} for {@code 1.0.0-rc.1}); empty for a release. */
    public List<String> preRelease() {
        return preRelease;
    }

    /** The build metadata identifiers; they never affect ordering or equality. */
    public List<String> build() {
        return build;
    }

    /** True when the version has pre-release identifiers ({@code 1.0.0-beta}): it is not a final release. */
    public boolean isPreRelease() {
        return !preRelease.isEmpty();
    }

    /** The {@code MAJOR.MINOR} line this version belongs to, such as {@code "0.9"} for {@code 0.9.14}. */
    public String minorLine() {
        return major + "." + minor;
    }

    /** True when both have the same {@code MAJOR.MINOR.PATCH}, whatever their pre-release or build. */
    public boolean sameCoreAs(SemanticVersion other) {
        return major == other.major && minor == other.minor && patch == other.patch;
    }

    @Override
    public int compareTo(SemanticVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Integer.compare(patch, o.patch);
        }
        if (c != 0) {
            return c;
        }
        // a release has higher precedence than any of its pre-releases
        if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
            return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
        }
        int n = Math.min(preRelease.size(), o.preRelease.size());
        for (int i = 0; i < n; i++) {
            c = compareIdentifiers(preRelease.get(i), o.preRelease.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(preRelease.size(), o.preRelease.size());
    }

    private static int compareIdentifiers(String a, String b) {
        boolean an = isNumeric(a);
        boolean bn = isNumeric(b);
        if (an && bn) {
            // no leading zeros (checked on parse), so the longer number is the bigger one, whatever its size
            int c = Integer.compare(a.length(), b.length());
            return c != 0 ? c : a.compareTo(b);
        }
        if (an != bn) {
            return an ? -1 : 1;
        }
        return a.compareTo(b);
    }

    /** Equal when the precedence is equal: build metadata is ignored. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SemanticVersion v && major == v.major && minor == v.minor && patch == v.patch
                && preRelease.equals(v.preRelease);
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, patch, preRelease);
    }

    /** The canonical text, without a leading {@code v}: {@code 1.2.3-rc.1+build.5}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(major).append('.').append(minor).append('.').append(patch);
        if (!preRelease.isEmpty()) {
            sb.append('-').append(String.join(".", preRelease));
        }
        if (!build.isEmpty()) {
            sb.append('+').append(String.join(".", build));
        }
        return sb.toString();
    }
}
