package io.printmaster.agent.config.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent's effective local configuration. Registered once by the configuration bundle; always present, even
 * when nothing is configured (then {@link AgentSettings#configured()} is false).
 */
@ProviderType
public interface AgentConfiguration {
    /** The PID of the settings: file {@code etc/io.printmaster.agent.cfg} in the data directory. */
    String PID = "io.printmaster.agent";

    /**
     * The settings in force right now, as one consistent snapshot. Cheap: call it whenever the settings are needed
     * instead of keeping the result, so file changes take effect.
     */
    AgentSettings current();
}
