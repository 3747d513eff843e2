package io.printmaster.server.agents.impl;

import io.printmaster.server.agents.api.AgentCensus;
import io.printmaster.server.agents.api.AgentDirectory;
import io.printmaster.server.agents.api.AgentGroup;
import io.printmaster.server.agents.api.AgentSnapshot;
import io.printmaster.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link AgentDirectory} on this bundle's tables: grouped counts and single agents, never revoked ones. */
@Component(service = AgentDirectory.class)
public class JdbcAgentDirectory implements AgentDirectory {
    private final Database database;

    @Activate
    public JdbcAgentDirectory(@Reference Database database) throws Exception {
        this.database = database;
        AgentsSchema.ensure(database);
    }

    @Override
    public List<AgentGroup> groups(String fleetId) throws SQLException {
        return database.read(c -> {
            List<AgentGroup> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT CURRENT_VERSION, PLATFORM, ARCH, COUNT(*) FROM PM_AGENT"
                    + " WHERE FLEET_ID = ? AND REVOKED_AT IS NULL GROUP BY CURRENT_VERSION, PLATFORM, ARCH")) {
                ps.setString(1, fleetId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new AgentGroup(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<AgentCensus> census() throws SQLException {
        return database.read(c -> {
            List<AgentCensus> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT FLEET_ID, CURRENT_VERSION, STATUS, COUNT(*) FROM PM_AGENT"
                    + " WHERE REVOKED_AT IS NULL GROUP BY FLEET_ID, CURRENT_VERSION, STATUS");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new AgentCensus(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                }
            }
            return out;
        });
    }

    @Override
    public Optional<AgentSnapshot> agent(String agentId) throws SQLException {
        return database.read(c -> AgentStore.find(c, agentId))
                .filter(a -> a.revokedAt() == null)
                .map(a -> new AgentSnapshot(a.id(), a.fleet(), a.hostname(), a.platform(), a.arch(),
                        a.currentVersion(), a.enrolledAt()));
    }
}
