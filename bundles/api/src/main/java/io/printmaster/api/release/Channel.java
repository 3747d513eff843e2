package io.printmaster.api.release;

import io.printmaster.api.version.SemanticVersion;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How mature a release is. Channels are ordered from most to least mature; a fleet that follows a channel also
 * takes every more mature one ({@link #accepts}).
 */
public enum Channel {
    /** Final releases. */
    STABLE("stable"),
    /** Release candidates and betas: feature-complete, being validated. */
    BETA("beta"),
    /** Early builds: alphas, nightlies, snapshots. */
    ALPHA("alpha");

    private final String wireName;

    Channel(String wireName) {
        this.wireName = wireName;
    }

    /** {@code stable}, {@code beta} or {@code alpha}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The channel with this wire name, ignoring case.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static Channel fromWireName(String name) {
        if (name != null) {
            String n = name.toLowerCase(Locale.ROOT);
            for (Channel c : values()) {
                if (c.wireName.equals(n)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("unknown channel '" + name + "': expected one of "
                + Arrays.stream(values()).map(Channel::wireName).collect(Collectors.joining(", ")));
    }

    /**
     * The usual channel of a version, for sources that have no channel of their own: a release is {@link #STABLE};
     * a pre-release whose first identifier starts with {@code alpha}, {@code dev}, {@code nightly} or
     * {@code snapshot} (any case) is {@link #ALPHA}; any other pre-release ({@code beta}, {@code rc}, …) is
     * {@link #BETA}.
     */
    public static Channel forVersion(SemanticVersion version) {
        if (!version.isPreRelease()) {
            return STABLE;
        }
        String first = version.preRelease().get(0).toLowerCase(Locale.ROOT);
        for (String early : new String[] {"alpha", "dev", "nightly", "snapshot"}) {
            if (first.startsWith(early)) {
                return ALPHA;
            }
        }
        return BETA;
    }

    /** True when a fleet following this channel takes releases published on {@code releaseChannel}. */
    public boolean accepts(Channel releaseChannel) {
        return releaseChannel.ordinal() <= ordinal();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
