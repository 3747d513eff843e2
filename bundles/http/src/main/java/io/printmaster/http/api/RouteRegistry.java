package io.printmaster.http.api;

import org.osgi.annotation.versioning.ProviderType;
import java.util.List;

/** Every route currently served; used by the route listing and by the authorization walk test. */
@ProviderType
public interface RouteRegistry {
    List<Route> routes();
}
