package io.printmaster.http.api;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A bundle's REST routes. Register an implementation as an OSGi service and the API dispatcher picks it up
 * (and drops it again when the service goes), so any bundle, a vendor's plugin included, can add endpoints.
 */
@ConsumerType
public interface RouteProvider {
    /** The routes this provider serves; called whenever the provider is (re)bound. */
    List<Route> routes();
}
