package io.printmaster.agent.hotswap.api;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What to swap to.
 *
 * @param fromVersion the release that runs now (journal and logs only)
 * @param toVersion the release being swapped to (journal and logs only)
 * @param target the COMPLETE set of the release's {@code bundle/} bundles; a running program bundle missing from it is
 *     uninstalled
 * @param healthTimeout how long the new set has, after the refresh, to pass the health gate
 */
public record SwapPlan(String fromVersion, String toVersion, List<PlannedBundle> target, Duration healthTimeout) {
    public SwapPlan {
        Objects.requireNonNull(fromVersion, "fromVersion");
        Objects.requireNonNull(toVersion, "toVersion");
        Objects.requireNonNull(healthTimeout, "healthTimeout");
        target = List.copyOf(Objects.requireNonNull(target, "target"));
        if (target.isEmpty()) {
            throw new IllegalArgumentException("target: a release has at least one bundle");
        }
        if (healthTimeout.isNegative() || healthTimeout.isZero()) {
            throw new IllegalArgumentException("healthTimeout: must be positive, was " + healthTimeout);
        }
        Set<String> names = new HashSet<>();
        for (PlannedBundle b : target) {
            if (!names.add(b.symbolicName())) {
                throw new IllegalArgumentException("target: bundle " + b.symbolicName() + " is listed twice");
            }
        }
    }
}
