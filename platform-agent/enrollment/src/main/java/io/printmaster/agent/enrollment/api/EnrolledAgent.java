package io.printmaster.agent.enrollment.api;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * The agent as its server knows it.
 *
 * @param agentId the id the server gave this agent at enrollment
 * @param fleetId the fleet the join token enrolled it into
 * @param serverUrl the server it enrolled with, without a trailing slash
 * @param enrolledAt when it enrolled
 */
public record EnrolledAgent(String agentId, String fleetId, URI serverUrl, Instant enrolledAt) {
    public EnrolledAgent {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(fleetId, "fleetId");
        Objects.requireNonNull(serverUrl, "serverUrl");
        Objects.requireNonNull(enrolledAt, "enrolledAt");
    }
}
