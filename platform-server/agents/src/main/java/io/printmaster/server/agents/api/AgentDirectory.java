package io.printmaster.server.agents.api;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The enrolled agents as other server bundles need them (the rollouts bundle counts and checks its targets with it).
 * Revoked agents are never included. Thread-safe.
 *
 * @since 1.2
 */
@ProviderType
public interface AgentDirectory {

    /** The fleet's agents grouped by current version, platform and arch: one cheap grouped query. */
    List<AgentGroup> groups(String fleetId) throws SQLException;

    /** One agent, unless it is unknown or revoked. */
    Optional<AgentSnapshot> agent(String agentId) throws SQLException;
}
