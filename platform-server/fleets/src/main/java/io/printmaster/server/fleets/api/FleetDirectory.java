package io.printmaster.server.fleets.api;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Read access to fleets and their effective policies. */
@ProviderType
public interface FleetDirectory {
    List<Fleet> list() throws SQLException;

    Optional<Fleet> find(String id) throws SQLException;

    /** The policy agents of this fleet follow: the fleet's own, else the global one, else the defaults. */
    EffectivePolicy effectivePolicy(String fleetId) throws SQLException;
}
