package io.printmaster.agent.worker.impl;

import io.printmaster.agent.hotswap.api.BundleSwapper;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the hot-swap path and plugin replacements need.
 *
 * @param enabled whether releases that keep the runtime are hot-swapped (setting {@code hot_swap}); off: every agent
 *     release is installed in full (plugins are still replaced behind the gate)
 * @param swapper the hot-swap engine, when one runs now
 * @param frameworkUuid this process's framework instance
 * @param healthTimeout how long swapped bundles have to pass the health gate
 * @param wakeReporter wakes the worker that runs after a swap, to report it ({@link CrashRecovery#reportFinishedSwap})
 */
record HotSwapSupport(boolean enabled, Supplier<Optional<BundleSwapper>> swapper, String frameworkUuid,
                      Duration healthTimeout, Runnable wakeReporter) {

    /** Whether a hot swap runs in this process now (started by this worker or by the revision it replaced). */
    static boolean inProgress(HotSwapSupport support, WorkerFiles files) {
        return support != null && files.marker().filter(k -> k.phase() == RunMarker.Phase.swapping
                && support.frameworkUuid().equals(k.frameworkUuid())).isPresent();
    }

    /** The engine, when hot swaps are supported here and one runs now. */
    static Optional<BundleSwapper> engine(HotSwapSupport support) {
        return support == null ? Optional.empty() : support.swapper().get();
    }
}
