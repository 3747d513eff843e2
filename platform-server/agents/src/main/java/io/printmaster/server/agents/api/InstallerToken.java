package io.printmaster.server.agents.api;

import java.time.Instant;

/**
 * A fleet's installer join token.
 *
 * @param id        the token's id (as {@code DELETE /api/v1/fleets/{id}/join-tokens/{token-id}} takes it)
 * @param fleetId   the fleet it enrolls agents into
 * @param token     the secret text an agent presents to {@code POST /api/v1/agents/enroll}; never log it
 * @param expiresAt when it stops working
 */
public record InstallerToken(String id, String fleetId, String token, Instant expiresAt) {

    @Override
    public String toString() {
        // the secret stays out of logs and exception messages
        return "InstallerToken[id=" + id + ", fleetId=" + fleetId + ", expiresAt=" + expiresAt + "]";
    }
}
