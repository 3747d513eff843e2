package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import io.printmaster.store.StorageState;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Whether this server is healthy enough to keep a new version: the database up, every PrintMaster bundle active
 * (plugins of {@code <data>/plugins} do not count) and every enabled PrintMaster component satisfied, in process, as
 * {@code GET /api/v1/health} decides UP (no HTTP round trip: the server may serve HTTPS with a certificate only its
 * clients trust). Looked up through the system bundle's context, which a hot swap never replaces.
 */
final class ServerHealth {
    private final BundleContext system;
    private final String pluginsLocation;

    ServerHealth(BundleContext context) {
        this.system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getBundleContext();
        String data = context.getProperty("pm.data.dir");
        this.pluginsLocation = data == null ? null : java.nio.file.Path.of(data, "plugins").toAbsolutePath().toString();
    }

    /** Why the server is not healthy now; empty when it is. */
    Optional<String> problem(Database database) {
        if (database == null) {
            return Optional.of("the database service is not available");
        }
        StorageState storage = database.state();
        if (!storage.up()) {
            return Optional.of("the database is down: " + storage.detail());
        }
        for (Bundle b : system.getBundles()) {
            if (b.getBundleId() == 0 || !platform(b.getSymbolicName(), b.getLocation())
                    || b.getHeaders("").get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            if (b.getState() != Bundle.ACTIVE) {
                return Optional.of("bundle " + b.getSymbolicName() + " " + b.getVersion() + " is not active");
            }
        }
        ServiceReference<ServiceComponentRuntime> ref = system.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = ref == null ? null : system.getService(ref);
        if (scr == null) {
            return Optional.of("Declarative Services is not running");
        }
        try {
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                Bundle owner = system.getBundle(d.bundle.id);
                if (owner == null || !platform(d.bundle.symbolicName, owner.getLocation()) || !scr.isComponentEnabled(d)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        return Optional.of("component " + d.name + " failed to activate");
                    }
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                        return Optional.of("component " + d.name + " is waiting for a service");
                    }
                }
            }
        } finally {
            system.ungetService(ref);
        }
        return Optional.empty();
    }

    /** A migration that failed stays failed: no point waiting for the deadline. */
    static boolean migrationFailed(String problem) {
        return problem.startsWith("the database is down") && problem.contains("migration of module");
    }

    private boolean platform(String symbolicName, String location) {
        return symbolicName != null && symbolicName.startsWith("io.printmaster.")
                && (pluginsLocation == null || location == null || !location.contains(pluginsLocation));
    }
}
