package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.printmaster.core.policy.UpdatePolicy;
import java.util.List;
import java.util.Optional;

/**
 * The server's answer to a check-in (200).
 *
 * @param agentId         the agent's id
 * @param fleetId         its fleet
 * @param updateAvailable whether {@link #update()} is present
 * @param policy          the fleet's effective update policy
 * @param policySource    where that policy comes from: {@code fleet}, {@code global} or {@code default}
 * @param latestVersion   the newest non-pre-release version cached for the agent's platform, whatever its pin; null
 *                        when there is none
 * @param update          the agent's own update; absent when none is offered
 * @param pluginUpdates   one offer per reported plugin that has an update, in the order reported; always present
 * @param commands        the admin's commands this check-in delivers, oldest first; always present
 * @param trustStatements the trust statements newer than the request's {@code trust_version}, oldest first; always
 *                        present (empty when the agent is up to date); since 1.1
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CheckInAnswer(
        @JsonProperty("agent_id") String agentId,
        @JsonProperty("fleet_id") String fleetId,
        @JsonProperty("update_available") boolean updateAvailable,
        @JsonProperty("policy") UpdatePolicy policy,
        @JsonProperty("policy_source") String policySource,
        @JsonProperty("latest_version") String latestVersion,
        @JsonProperty("update") @JsonInclude(JsonInclude.Include.NON_NULL) UpdateOffer update,
        @JsonProperty("plugin_updates") List<UpdateOffer> pluginUpdates,
        @JsonProperty("commands") List<AgentCommand> commands,
        @JsonProperty("trust_statements") List<TrustStatement> trustStatements) {

    /** Lists are never null, whatever an older server left out. */
    public CheckInAnswer {
        pluginUpdates = pluginUpdates == null ? List.of() : List.copyOf(pluginUpdates);
        commands = commands == null ? List.of() : List.copyOf(commands);
        trustStatements = trustStatements == null ? List.of() : List.copyOf(trustStatements);
    }

    /** An answer without trust statements (1.0's members). */
    public CheckInAnswer(String agentId, String fleetId, boolean updateAvailable, UpdatePolicy policy,
                         String policySource, String latestVersion, UpdateOffer update, List<UpdateOffer> pluginUpdates,
                         List<AgentCommand> commands) {
        this(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update, pluginUpdates, commands,
                List.of());
    }

    /** The agent's own update, when one is offered. */
    public Optional<UpdateOffer> offeredUpdate() {
        return Optional.ofNullable(update);
    }

    /** The same answer with {@code commands} (the server adds them once the check-in is recorded). */
    public CheckInAnswer withCommands(List<AgentCommand> delivered) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update,
                pluginUpdates, delivered, trustStatements);
    }

    /**
     * The same answer with {@code trust_statements} (the server adds those the agent lacks).
     *
     * @since 1.1
     */
    public CheckInAnswer withTrustStatements(List<TrustStatement> statements) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update,
                pluginUpdates, commands, statements);
    }
}
