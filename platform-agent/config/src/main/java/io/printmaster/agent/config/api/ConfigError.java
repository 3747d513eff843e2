package io.printmaster.agent.config.api;

import java.util.Objects;

/**
 * A configuration value the agent could not use. The agent keeps running on a safe default for that value and
 * shows the error in its status until the file is fixed.
 *
 * @param field the setting, as written in the file ({@code server_url}, {@code local_policy.maintenance_window.start_hour},
 *     {@code agent_id}); never null
 * @param message what is wrong and what the agent does instead, for the operator; never contains a secret
 */
public record ConfigError(String field, String message) {
    public ConfigError {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }
}
