package io.printmaster.server.agents.api;

import java.time.Instant;

/**
 * One enrolled, non-revoked agent as it last reported itself (or as it reports itself in the check-in being answered).
 *
 * @param id             the agent's id ({@code agt_…})
 * @param fleet          its fleet
 * @param hostname       what it reports as its host name
 * @param platform       {@code linux}, {@code windows}, {@code darwin}
 * @param arch           {@code amd64}, {@code arm64}
 * @param currentVersion the version it runs
 * @param enrolledAt     when it enrolled
 * @since 1.2
 */
public record AgentSnapshot(String id, String fleet, String hostname, String platform, String arch,
                            String currentVersion, Instant enrolledAt) {
}
