package io.printmaster.server.releases.impl;

import io.printmaster.store.ClusterSignals;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The {@value #TOPIC} signal: published in the transaction that caches or removes an artifact or signs, renews or
 * drops a manifest, so every replica's check-in caches of the catalog are dropped once it commits.
 */
final class CatalogSignals {
    /** Scope: the component whose artifacts or manifests changed; payload none. */
    static final String TOPIC = "releases.catalog";

    private CatalogSignals() {
    }

    /** @param signals null only in unit tests that construct the store without OSGi */
    static void changed(ClusterSignals signals, Connection c, String component) throws SQLException {
        if (signals != null) {
            signals.publish(c, TOPIC, component, null);
        }
    }

    /** As {@link #changed}, for a change known by its artifact's id. */
    static void artifactChanged(ClusterSignals signals, Connection c, long artifactId) throws SQLException {
        String component = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT COMPONENT FROM PM_RELEASE_ARTIFACT WHERE ID = ?")) {
            ps.setLong(1, artifactId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    component = rs.getString(1);
                }
            }
        }
        changed(signals, c, component);
    }
}
