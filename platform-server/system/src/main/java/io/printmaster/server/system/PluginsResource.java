package io.printmaster.server.system;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code GET /api/v1/plugins}: every plugin service of the four SPIs with the bundle that provides it, plus any
 * bundle dropped into {@code plugins/} that provides none (yet): a plugin that failed to resolve must show up
 * with its state rather than vanish.
 */
@Component(service = RouteProvider.class)
public class PluginsResource implements RouteProvider {

    /** SPI interface names by type; names, not classes, so listing never wires this bundle to a plugin. */
    static final Map<String, String> SPI_TYPES = Map.of(
            "release_source", "io.printmaster.api.release.ReleaseSource",
            "installer_format", "io.printmaster.api.installer.InstallerFormat",
            "signing_provider", "io.printmaster.api.signing.SigningProvider",
            "service_manager", "io.printmaster.api.service.ServiceManager");

    private final BundleContext context;

    @Activate
    public PluginsResource(BundleContext context) {
        this.context = context;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/plugins", Scopes.SETTINGS_SERVER_READ, req -> ApiResponse.ok(Map.of("plugins", list())))
                .doc("List the installed plugins").returns(JsonTypes.objectWithList("plugins", PluginView.class)));
    }

    public record PluginView(String type, String name, String bundle, String bundleVersion, String state,
                             int ranking, boolean fromPluginsFolder) {
    }

    List<PluginView> list() {
        List<PluginView> out = new ArrayList<>();
        Map<Long, Boolean> seenBundles = new LinkedHashMap<>();
        java.nio.file.Path pluginsDir = pluginsDir();
        for (Map.Entry<String, String> spi : SPI_TYPES.entrySet()) {
            ServiceReference<?>[] refs;
            try {
                refs = context.getAllServiceReferences(spi.getValue(), null);
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            if (refs == null) {
                continue;
            }
            for (ServiceReference<?> ref : refs) {
                Bundle b = ref.getBundle();
                if (b == null) {
                    continue;
                }
                seenBundles.put(b.getBundleId(), true);
                out.add(new PluginView(spi.getKey(), nameOf(ref), b.getSymbolicName(), b.getVersion().toString(),
                        state(b), ranking(ref), isInPluginsFolder(b, pluginsDir)));
            }
        }
        for (Bundle b : context.getBundles()) {
            if (!seenBundles.containsKey(b.getBundleId()) && isInPluginsFolder(b, pluginsDir)) {
                out.add(new PluginView("unknown", b.getSymbolicName(), b.getSymbolicName(), b.getVersion().toString(),
                        state(b), 0, true));
            }
        }
        out.sort(Comparator.comparing(PluginView::type).thenComparing(PluginView::name));
        return out;
    }

    private static String nameOf(ServiceReference<?> ref) {
        for (String key : List.of("printmaster.plugin.name", "type", "component.name")) {
            Object v = ref.getProperty(key);
            if (v != null) {
                return v.toString();
            }
        }
        return String.valueOf(ref.getProperty(Constants.SERVICE_ID));
    }

    private static int ranking(ServiceReference<?> ref) {
        Object r = ref.getProperty(Constants.SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    private java.nio.file.Path pluginsDir() {
        String data = context.getProperty("pm.data.dir");
        return data == null ? null : java.nio.file.Path.of(data, "plugins");
    }

    private static boolean isInPluginsFolder(Bundle b, java.nio.file.Path pluginsDir) {
        return pluginsDir != null && BundleLocations.isInside(b.getLocation(), pluginsDir);
    }

    static String state(Bundle b) {
        return switch (b.getState()) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            default -> "UNINSTALLED";
        };
    }
}
