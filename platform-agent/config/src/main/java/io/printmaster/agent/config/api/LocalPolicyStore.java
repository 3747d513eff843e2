package io.printmaster.agent.config.api;

import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent's local policy, {@code etc/local-policy.json}, for the local page to show and, when the settings allow
 * local overrides ({@link AgentSettings#allowLocalOverride()}), to change. Registered by the configuration bundle
 * with {@link AgentConfiguration}; a saved policy is in force at once wherever the local policy applies (mode
 * {@code local}, or while the fleet policy is unknown).
 *
 * @since 1.2
 */
@ProviderType
public interface LocalPolicyStore {
    /**
     * The local policy as it stands: the file's, the built-in defaults when there is no file, the last valid one
     * while the file is broken; empty when the file has been broken since the agent started.
     */
    Optional<UpdatePolicy> localPolicy();

    /**
     * Checks {@code policy} exactly as the server checks a fleet's ({@code io.printmaster.core.policy.PolicyValidator}),
     * then replaces the file atomically and durably and applies it before returning.
     *
     * @return every problem, with the validator's field paths ({@code maintenance_window.start_hour}); empty when the
     *     policy was saved and is in force. Nothing is written when there is a problem.
     * @throws LocalOverrideDisabledException when local overrides are off; nothing is written
     * @throws IOException when the file cannot be written; the previous local policy stays in force
     */
    List<Violation> save(UpdatePolicy policy) throws LocalOverrideDisabledException, IOException;
}
