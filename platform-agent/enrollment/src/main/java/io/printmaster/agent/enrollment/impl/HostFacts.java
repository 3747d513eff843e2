package io.printmaster.agent.enrollment.impl;

import io.printmaster.agent.update.api.DeliveredPlugin;
import io.printmaster.agent.update.api.HostPlatform;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;

/**
 * What the agent tells the server about its machine (io.printmaster.core.wire names), and the vendor plugins that
 * follow a release stream ({@link DeliveredPlugin}), so that the server can offer their updates; with the update
 * worker's next scheduled check ({@code next_check_at}, null while no worker says).
 */
record HostFacts(String hostname, String platform, String arch, String currentVersion, List<DeliveredPlugin> plugins,
                 long trustVersion, Instant nextCheckAt) {

    HostFacts {
        plugins = plugins == null ? List.of() : List.copyOf(plugins);
    }

    HostFacts(String hostname, String platform, String arch, String currentVersion, List<DeliveredPlugin> plugins,
              long trustVersion) {
        this(hostname, platform, arch, currentVersion, plugins, trustVersion, null);
    }

    HostFacts(String hostname, String platform, String arch, String currentVersion) {
        this(hostname, platform, arch, currentVersion, List.of(), 0);
    }

    HostFacts(String hostname, String platform, String arch, String currentVersion, List<DeliveredPlugin> plugins) {
        this(hostname, platform, arch, currentVersion, plugins, 0);
    }

    /** The same machine holding trust statements up to {@code version} ({@code trust_version}). */
    HostFacts withTrustVersion(long version) {
        return new HostFacts(hostname, platform, arch, currentVersion, plugins, version, nextCheckAt);
    }

    /** The same machine whose update worker checks next at {@code at} ({@code next_check_at}; null: not said). */
    HostFacts withNextCheckAt(Instant at) {
        return new HostFacts(hostname, platform, arch, currentVersion, plugins, trustVersion, at);
    }

    static HostFacts ofThisMachine(String version) {
        return new HostFacts(localHostname(), HostPlatform.platform(), HostPlatform.arch(),
                version == null || version.isBlank() ? "0.0.0" : version);
    }

    /** The same machine running another release (after a hot swap). */
    HostFacts withVersion(String version) {
        return version == null || version.isBlank() || version.equals(currentVersion) ? this
                : new HostFacts(hostname, platform, arch, version, plugins, trustVersion, nextCheckAt);
    }

    /** The same machine with these delivered plugins. */
    HostFacts withPlugins(List<DeliveredPlugin> delivered) {
        return new HostFacts(hostname, platform, arch, currentVersion, delivered, trustVersion, nextCheckAt);
    }

    private static String localHostname() {
        for (String env : new String[] {"HOSTNAME", "COMPUTERNAME"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
