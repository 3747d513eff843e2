package io.printmaster.agent.hotswap.api;

import java.util.List;
import java.util.Objects;

/**
 * The result of {@link BundleSwapper#swap}.
 *
 * @param result what runs now
 * @param failingCheck the check of the health gate that failed (for example {@code bundle io.x 1.2.0 is installed,
 *     not active}, {@code component io.x.Foo is unsatisfied}, {@code health check 'printer-queue' CRITICAL: …},
 *     {@code server check-in failed: …}); {@code null} when {@link Result#SWAPPED}. With
 *     {@link Result#ROLLBACK_FAILED} it also says what failed during the rollback.
 * @param changed symbolic names of the bundles that were updated, installed or uninstalled, sorted
 * @param swapMillis from the call to the end of the health gate of the new set (or of the rollback's gate)
 * @param downtimeMillis the time during which some bundle of the plan was not active: from stopping the first changed
 *     bundle until every bundle of the new set was active; after a rollback, plus from stopping the new bundles until
 *     every bundle of the old set was active again
 */
public record SwapOutcome(Result result, String failingCheck, List<String> changed, long swapMillis,
        long downtimeMillis) {

    public enum Result {
        /** The new set runs and passed the health gate. */
        SWAPPED,
        /** The new set failed the gate ({@code failingCheck}); the previous set runs again and passed the gate. */
        ROLLED_BACK,
        /** The new set failed the gate and the previous set could not be restored healthy: restart the process. */
        ROLLBACK_FAILED
    }

    public SwapOutcome {
        Objects.requireNonNull(result, "result");
        changed = List.copyOf(Objects.requireNonNull(changed, "changed"));
    }
}
