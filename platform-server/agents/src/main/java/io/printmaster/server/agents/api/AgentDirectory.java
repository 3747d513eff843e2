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

    /**
     * Every fleet's agents counted by current version and update status (null status: never reported), in one
     * grouped query; for gauges such as the metrics' {@code printmaster_agents}.
     *
     * @since 1.3
     */
    List<AgentCensus> census() throws SQLException;

    /** One agent, unless it is unknown or revoked. */
    Optional<AgentSnapshot> agent(String agentId) throws SQLException;
}
