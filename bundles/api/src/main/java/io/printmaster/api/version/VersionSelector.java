package io.printmaster.api.version;

import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * Chooses the version an installation should move to among the versions available, following a fleet's policy.
 * Immutable: the {@code with…}-style methods return a new selector.
 *
 * <h2>Rules</h2>
 * <ol>
 * <li><b>An explicit target wins.</b> With {@link #target(SemanticVersion) a target}, the answer is that target if it
 * is among the candidates and differs from the installed version, whatever the pin, the major-upgrade flag and
 * pre-release settings, and even when it is older (an explicit target is how an admin rolls back). A target that is
 * not (yet) available gives no answer: nothing else is installed in its place.</li>
 * <li><b>Otherwise only upgrades:</b> the newest candidate that is newer than the installed version and lies in the
 * {@link #effectivePin effective pin}.</li>
 * <li><b>The pin</b> is {@link VersionPin#of(PinStrategy, SemanticVersion)} of the strategy and the installed version.
 * {@link #allowMajorUpgrade(boolean) allow_major_upgrade} lets the major line move, which only widens the
 * {@code MAJOR} strategy (to any version); {@code MINOR} and {@code PATCH} are narrower pins and stay as they are,
 * since moving the major line would also move the minor line they promise to keep.</li>
 * <li><b>Pre-releases</b> are candidates only when {@link #allowPreReleases(boolean) allowed} (a fleet on a beta
 * channel), or, for an installation that runs a pre-release, when they share its {@code MAJOR.MINOR.PATCH}: a host
 * testing {@code 1.0.0-rc.1} gets {@code 1.0.0-rc.2} and then {@code 1.0.0}, but is not carried on to
 * {@code 1.1.0-alpha}. This is the rule npm applies to ranges, and keeps a single tested pre-release from turning
 * a host into a permanent beta tester.</li>
 * </ol>
 * Equal versions are compared by precedence, so build metadata never makes a version "new"; the answer is the
 * candidate instance itself (with its build metadata).
 */
public final class VersionSelector {

    private final PinStrategy strategy;
    private final boolean allowMajorUpgrade;
    private final boolean allowPreReleases;
    private final SemanticVersion target;

    private VersionSelector(PinStrategy strategy, boolean allowMajorUpgrade, boolean allowPreReleases,
                            SemanticVersion target) {
        this.strategy = strategy;
        this.allowMajorUpgrade = allowMajorUpgrade;
        this.allowPreReleases = allowPreReleases;
        this.target = target;
    }

    /** A selector with {@code strategy}, no major upgrades, no pre-releases and no explicit target. */
    public static VersionSelector of(PinStrategy strategy) {
        return new VersionSelector(Objects.requireNonNull(strategy, "strategy"), false, false, null);
    }

    /** The same selector, with or without permission to move the major line (policy {@code allow_major_upgrade}). */
    public VersionSelector allowMajorUpgrade(boolean allow) {
        return new VersionSelector(strategy, allow, allowPreReleases, target);
    }

    /** The same selector, with or without pre-releases as candidates (a channel that takes them). */
    public VersionSelector allowPreReleases(boolean allow) {
        return new VersionSelector(strategy, allowMajorUpgrade, allow, target);
    }

    /** The same selector with an explicit target version (policy {@code target_version}); {@code null} for none. */
    public VersionSelector target(SemanticVersion version) {
        return new VersionSelector(strategy, allowMajorUpgrade, allowPreReleases, version);
    }

    /**
     * The pin automatic upgrades of an installation running {@code current} stay within (explicit targets
     * excepted): {@code 0.x} for {@code MAJOR}, {@link VersionPin#ANY} for {@code MAJOR} with major upgrades allowed,
     * {@code 0.9.x} for {@code MINOR}, exactly {@code current} for {@code PATCH}.
     */
    public VersionPin effectivePin(SemanticVersion current) {
        if (strategy == PinStrategy.MAJOR && allowMajorUpgrade) {
            return VersionPin.ANY;
        }
        return VersionPin.of(strategy, current);
    }

    /**
     * The version an installation running {@code current} should move to, or empty when it should stay.
     *
     * @param candidates the versions available (duplicates and the installed version itself are fine)
     * @param current    the version installed now
     */
    public Optional<SemanticVersion> select(Collection<SemanticVersion> candidates, SemanticVersion current) {
        Objects.requireNonNull(candidates, "candidates");
        Objects.requireNonNull(current, "current");
        if (target != null) {
            return target.equals(current) ? Optional.empty() : find(candidates, target);
        }
        VersionPin pin = effectivePin(current);
        return candidates.stream()
                .filter(c -> c.compareTo(current) > 0)
                .filter(pin::matches)
                .filter(c -> !c.isPreRelease() || allowPreReleases || current.isPreRelease() && c.sameCoreAs(current))
                .max(Comparator.naturalOrder());
    }

    /**
     * The version for a host that runs nothing yet (a fresh install): the explicit target if available, otherwise
     * the newest candidate, pre-releases only when allowed. No pin applies, as there is no installed line to keep.
     */
    public Optional<SemanticVersion> selectInitial(Collection<SemanticVersion> candidates) {
        Objects.requireNonNull(candidates, "candidates");
        if (target != null) {
            return find(candidates, target);
        }
        return candidates.stream()
                .filter(c -> !c.isPreRelease() || allowPreReleases)
                .max(Comparator.naturalOrder());
    }

    private static Optional<SemanticVersion> find(Collection<SemanticVersion> candidates, SemanticVersion wanted) {
        return candidates.stream().filter(wanted::equals).findFirst();
    }

    @Override
    public String toString() {
        return "VersionSelector[strategy=" + strategy + ", allowMajorUpgrade=" + allowMajorUpgrade
                + ", allowPreReleases=" + allowPreReleases + ", target=" + target + "]";
    }
}
