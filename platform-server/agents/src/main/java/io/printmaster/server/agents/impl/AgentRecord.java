package io.printmaster.server.agents.impl;

import java.time.Instant;

/**
 * An enrolled agent as the API lists it ({@code GET /api/v1/agents}); never carries its credential.
 *
 * @param fleet       the fleet it enrolled into
 * @param lastSeenAt  its last check-in, or null before the first
 * @param revokedAt   when its credential was revoked, or null while it may check in
 */
public record AgentRecord(String id, String fleet, String platform, String arch, String currentVersion,
                          Instant lastSeenAt, String hostname, Instant enrolledAt, Instant revokedAt) {
}
