package io.printmaster.server.agents.api;

/**
 * How many non-revoked agents of a fleet run one version on one platform and arch.
 *
 * @since 1.2
 */
public record AgentGroup(String currentVersion, String platform, String arch, long count) {
}
