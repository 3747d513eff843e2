package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The answer to a successful enrollment (201).
 *
 * @param agentId    the id the server gave the agent (what its console shows)
 * @param credential the agent's credential ({@code pma_…}), answered only here; a secret, never in
 *                   {@link #toString()}
 * @param fleetId    the fleet the join token enrolled it in
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EnrollAnswer(
        @JsonProperty("agent_id") String agentId,
        @JsonProperty("credential") String credential,
        @JsonProperty("fleet_id") String fleetId) {

    @Override
    public String toString() {
        return "EnrollAnswer[agent_id=" + agentId + ", fleet_id=" + fleetId + "]";
    }
}
