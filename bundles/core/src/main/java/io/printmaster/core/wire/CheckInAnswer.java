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
 * @param retryAfterSeconds when no update is offered because a rollout holds the agent back (its wave is not open,
 *                        no slot is free, the rollout waits for approval or is paused): the seconds after which the
 *                        agent should ask again, already spread by the rollout's jitter; 0 when the agent simply
 *                        follows its own schedule. Always written, never negative; absent (an older server) reads as
 *                        0; since 1.2
 * @param policyEtag      names {@link #policy()} as it is now: an agent that keeps the policy sends it back in
 *                        {@link CheckInRequest#known()}; written whenever there is a policy, also when it is left out as
 *                        unchanged; since 1.4
 * @param manifestEtag    names the offer {@link #update()} as it is now (its signed manifest and rollout); written
 *                        whenever an update is offered, also when it is left out as unchanged; since 1.4
 * @param unchanged       what this answer leaves out because the agent's {@code known} etag equals the current one:
 *                        {@code "policy"} (then {@link #policy()} is null) and/or {@code "update"} (then
 *                        {@link #update()} is null while {@link #updateAvailable()} stays true: the agent keeps the
 *                        offer it holds); absent when empty; since 1.4
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
        @JsonProperty("trust_statements") List<TrustStatement> trustStatements,
        @JsonProperty("retry_after_seconds") long retryAfterSeconds,
        @JsonProperty("policy_etag") @JsonInclude(JsonInclude.Include.NON_NULL) String policyEtag,
        @JsonProperty("manifest_etag") @JsonInclude(JsonInclude.Include.NON_NULL) String manifestEtag,
        @JsonProperty("unchanged") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unchanged) {

    /** What {@link #unchanged()} names when the policy was left out. */
    public static final String UNCHANGED_POLICY = "policy";
    /** What {@link #unchanged()} names when the update offer was left out. */
    public static final String UNCHANGED_UPDATE = "update";

    /** Lists are never null, whatever an older server left out; a negative retry reads as 0. */
    public CheckInAnswer {
        unchanged = unchanged == null ? List.of() : List.copyOf(unchanged);
        pluginUpdates = pluginUpdates == null ? List.of() : List.copyOf(pluginUpdates);
        commands = commands == null ? List.of() : List.copyOf(commands);
        trustStatements = trustStatements == null ? List.of() : List.copyOf(trustStatements);
        retryAfterSeconds = Math.max(0, retryAfterSeconds);
    }

    /** An answer without etags (1.3's members). */
    public CheckInAnswer(String agentId, String fleetId, boolean updateAvailable, UpdatePolicy policy,
                         String policySource, String latestVersion, UpdateOffer update, List<UpdateOffer> pluginUpdates,
                         List<AgentCommand> commands, List<TrustStatement> trustStatements, long retryAfterSeconds) {
        this(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update, pluginUpdates, commands,
                trustStatements, retryAfterSeconds, null, null, List.of());
    }

    /** An answer without {@code retry_after_seconds} (1.1's members). */
    public CheckInAnswer(String agentId, String fleetId, boolean updateAvailable, UpdatePolicy policy,
                         String policySource, String latestVersion, UpdateOffer update, List<UpdateOffer> pluginUpdates,
                         List<AgentCommand> commands, List<TrustStatement> trustStatements) {
        this(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update, pluginUpdates, commands,
                trustStatements, 0);
    }

    /** An answer without trust statements (1.0's members). */
    public CheckInAnswer(String agentId, String fleetId, boolean updateAvailable, UpdatePolicy policy,
                         String policySource, String latestVersion, UpdateOffer update, List<UpdateOffer> pluginUpdates,
                         List<AgentCommand> commands) {
        this(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update, pluginUpdates, commands,
                List.of(), 0);
    }

    /** The agent's own update, when one is offered. */
    public Optional<UpdateOffer> offeredUpdate() {
        return Optional.ofNullable(update);
    }

    /** The same answer with {@code commands} (the server adds them once the check-in is recorded). */
    public CheckInAnswer withCommands(List<AgentCommand> delivered) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update,
                pluginUpdates, delivered, trustStatements, retryAfterSeconds, policyEtag, manifestEtag, unchanged);
    }

    /**
     * The same answer with {@code trust_statements} (the server adds those the agent lacks).
     *
     * @since 1.1
     */
    public CheckInAnswer withTrustStatements(List<TrustStatement> statements) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update,
                pluginUpdates, commands, statements, retryAfterSeconds, policyEtag, manifestEtag, unchanged);
    }

    /**
     * The same answer with {@code retry_after_seconds}.
     *
     * @since 1.2
     */
    public CheckInAnswer withRetryAfterSeconds(long seconds) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, policy, policySource, latestVersion, update,
                pluginUpdates, commands, trustStatements, seconds, policyEtag, manifestEtag, unchanged);
    }

    /**
     * The same answer with its etags (the policy's, and the offer's when there is one).
     *
     * @since 1.4
     */
    public CheckInAnswer withEtags(String policy, String manifest) {
        return new CheckInAnswer(agentId, fleetId, updateAvailable, this.policy, policySource, latestVersion, update,
                pluginUpdates, commands, trustStatements, retryAfterSeconds, policy, manifest, unchanged);
    }

    /**
     * The answer for an agent that holds {@code known}: the policy and/or the offer left out (null) and named in
     * {@code unchanged} when the agent's etag equals this answer's. Without {@code known} (an agent older than 1.4)
     * the answer stays whole.
     *
     * @since 1.4
     */
    public CheckInAnswer forKnown(KnownEtags known) {
        if (known == null) {
            return this;
        }
        boolean samePolicy = policy != null && policyEtag != null && policyEtag.equals(known.policyEtag());
        boolean sameUpdate = update != null && manifestEtag != null && manifestEtag.equals(known.manifestEtag());
        if (!samePolicy && !sameUpdate) {
            return this;
        }
        List<String> left = new java.util.ArrayList<>(2);
        if (samePolicy) {
            left.add(UNCHANGED_POLICY);
        }
        if (sameUpdate) {
            left.add(UNCHANGED_UPDATE);
        }
        return new CheckInAnswer(agentId, fleetId, updateAvailable, samePolicy ? null : policy, policySource,
                latestVersion, sameUpdate ? null : update, pluginUpdates, commands, trustStatements, retryAfterSeconds,
                policyEtag, manifestEtag, left);
    }
}
