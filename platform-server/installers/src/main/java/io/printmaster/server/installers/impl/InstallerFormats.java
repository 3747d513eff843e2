package io.printmaster.server.installers.impl;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.InstallerFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The whiteboard of {@link InstallerFormat} services: formats come and go at any time (a bundle dropped into
 * {@code plugins/}). Per type the service with the highest {@code service.ranking} wins (then the lowest
 * {@code service.id}, the OSGi rule), so a vendor's format replaces a built-in one (ranked -100) of the same type.
 */
@Component(service = InstallerFormats.class)
public class InstallerFormats {
    private final List<Plugin> plugins = new CopyOnWriteArrayList<>();

    /**
     * One registered format.
     *
     * @param pluginId the providing bundle's symbolic name and version: part of the cache key, so an updated plugin
     *                 builds new installers
     */
    record Plugin(InstallerFormat format, String type, String input, String name, int ranking, long serviceId,
                  String pluginId) {
        Availability availability() {
            try {
                Availability a = format.availability();
                return a == null ? Availability.unavailable("the plugin reports no availability") : a;
            } catch (RuntimeException e) {
                return Availability.unavailable("the plugin failed to report its availability: " + e);
            }
        }
    }

    public InstallerFormats() {
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFormat(InstallerFormat format, ServiceReference<InstallerFormat> ref) {
        plugins.add(plugin(format, ref));
    }

    void removeFormat(InstallerFormat format, ServiceReference<InstallerFormat> ref) {
        plugins.removeIf(p -> p.serviceId() == serviceId(ref));
    }

    /** For tests: a format with explicit properties. */
    void add(Plugin plugin) {
        plugins.add(plugin);
    }

    private static Plugin plugin(InstallerFormat format, ServiceReference<InstallerFormat> ref) {
        String type = text(ref.getProperty(InstallerFormat.TYPE)).orElseGet(() -> safeType(format));
        String input = text(ref.getProperty(InstallerFormat.INPUT)).orElse(type);
        String name = text(ref.getProperty(InstallerFormat.PLUGIN_NAME)).orElse(type);
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        Bundle bundle = ref.getBundle();
        String pluginId = bundle == null ? "unknown" : bundle.getSymbolicName() + "/" + bundle.getVersion();
        return new Plugin(format, type, input, name, ranking instanceof Integer i ? i : 0, serviceId(ref), pluginId);
    }

    private static String safeType(InstallerFormat format) {
        try {
            return format.type();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static long serviceId(ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }

    private static Optional<String> text(Object value) {
        return value instanceof String s && !s.isBlank() ? Optional.of(s.strip()) : Optional.empty();
    }

    private static final Comparator<Plugin> BEST_FIRST = Comparator.comparingInt(Plugin::ranking).reversed()
            .thenComparingLong(Plugin::serviceId);

    /** The winning plugin of each type, sorted by type. */
    List<Plugin> winners() {
        Map<String, Plugin> best = new LinkedHashMap<>();
        List<Plugin> copy = new ArrayList<>(plugins); // the whiteboard changes while we look
        copy.sort(BEST_FIRST);
        for (Plugin p : copy) {
            best.putIfAbsent(p.type(), p);
        }
        return best.values().stream().sorted(Comparator.comparing(Plugin::type)).toList();
    }

    /** The winning plugin for {@code type}, if any is registered. */
    Optional<Plugin> select(String type) {
        return winners().stream().filter(p -> p.type().equals(type)).findFirst();
    }
}
