package io.printmaster.agent.hotswap.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Replaces the running set of the program's bundles (those the launcher installed from the program dir's
 * {@code bundle/} folder, and those earlier swaps installed) with the set of a release, inside the running framework,
 * then checks the result (the health gate) and puts the previous bundles back when the check fails.
 *
 * <p>Bundles that do not come from the program's {@code bundle/} folder (plugins from {@code <data>/plugins}, the
 * system bundle) are never touched. One swap runs at a time; a second caller waits.
 */
@ProviderType
public interface BundleSwapper {
    /**
     * Swaps to {@code plan}'s bundles and waits for the health gate. Runs on the caller's thread, but never calls back
     * into caller code once it has begun changing bundles: the caller's own bundle may be in the plan and be replaced
     * (and its old class loader discarded) while this runs. Once the first bundle has changed, an interrupt does not
     * stop the swap half-way: it finishes (swap and gate, or rollback) and the interrupt flag is set again on return.
     *
     * @param plan the complete target set of the release's {@code bundle/} folder, jars on disk already verified
     * @return what happened; {@link SwapOutcome.Result#SWAPPED} leaves the new set running
     * @throws InterruptedException when interrupted before any bundle changed (nothing was changed)
     * @throws IllegalStateException when the swap cannot begin (the bytes of a running bundle needed for a rollback are
     *     missing, a plan bundle is a plugin's, a plan jar cannot be read or does not hold the bundle the plan names);
     *     nothing was changed
     */
    SwapOutcome swap(SwapPlan plan) throws InterruptedException;

    /**
     * Replaces a vendor plugin of the plugins folder (one that Felix FileInstall installed) with a new release, behind
     * the same health gate: the current jar is copied to {@code backup}, the new jar moved over the plugin's file, and
     * once FileInstall has updated the bundle, the gate runs (the plugin active, every component satisfied before
     * satisfied again, the health checks, the server reachable). On failure the backup is moved back and FileInstall
     * updates the bundle back. The plugin's file is what a restart installs, so the caller that finds, after a crash,
     * that a replacement was in progress puts the backup back (see docs/architecture.md).
     *
     * @since 1.2
     * @return {@link SwapOutcome.Result#SWAPPED} when the new plugin runs and passed the gate
     * @throws InterruptedException when interrupted before the plugin's file changed (nothing was changed)
     * @throws IllegalStateException when the replacement cannot begin (no running bundle from that file, the new jar
     *     does not hold the same bundle or not the bytes named); nothing was changed
     */
    SwapOutcome replacePlugin(PluginReplacement replacement) throws InterruptedException;
}
