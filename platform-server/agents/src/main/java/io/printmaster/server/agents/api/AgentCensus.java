package io.printmaster.server.agents.api;

/**
 * How many enrolled (not revoked) agents of one fleet run one version with one update status.
 *
 * @param status the agent's last reported update status, or null when it has reported none
 * @since 1.3
 */
public record AgentCensus(String fleet, String version, String status, long count) {
}
