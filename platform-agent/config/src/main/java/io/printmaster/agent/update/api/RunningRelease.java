package io.printmaster.agent.update.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent release whose bundles run in this process. The framework property {@code pm.version} names the release
 * the process was started with and never changes; after a hot swap (bundles replaced inside the running framework)
 * the running release is the one swapped to. Whoever reports or shows the agent's version (the check-in, the local
 * status page, the update worker) asks this service, and falls back to {@code pm.version} while it is absent.
 */
@ProviderType
public interface RunningRelease {
    /** The version of the release that runs now. */
    String version();
}
