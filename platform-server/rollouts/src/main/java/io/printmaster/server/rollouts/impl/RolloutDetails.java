package io.printmaster.server.rollouts.impl;

import io.printmaster.server.releases.api.ReleaseCatalog;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the approval view shows beyond the rollout's own state: the agents targeted in each fleet (and, once the
 * release catalog provides them, the release notes and the bundles that change).
 */
final class RolloutDetails {
    private final ReleaseCatalog catalog;

    RolloutDetails(ReleaseCatalog catalog) {
        this.catalog = catalog;
    }

    Map<String, Object> extra(Rollout r, RolloutStore store) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("targeted_by_fleet", store.database().read(c -> RolloutRows.targetedByFleet(c, r.id())));
        return out;
    }
}
