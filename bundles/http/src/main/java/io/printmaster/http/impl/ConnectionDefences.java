package io.printmaster.http.impl;

import java.util.ArrayList;
import java.util.List;
import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.Container;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hardens every network connector of the server against hostile traffic, with Jetty's own mechanisms: a minimum
 * request body data rate ({@link HttpConfiguration#setMinRequestDataRate}), an idle timeout, a cap on the connections
 * of one client address ({@link PerAddressConnectionLimit}) and forwarded headers honoured only from trusted
 * proxies ({@link TrustedProxyCustomizer}).
 *
 * <p>Like {@link JsonServerErrors}, it gets Jetty's {@link Server} through Felix HTTP's {@link ConnectorFactory} hook
 * (Felix calls it once its own HTTP connector runs) and answers with an {@link JsonServerErrors.InertConnector}.
 * Connectors added later, such as an HTTPS listener another factory contributes, are hardened as they are added, so
 * every listener gets the same settings whatever order the factories come in ({@link #harden} is the one place).
 */
@Component(service = ConnectorFactory.class, configurationPid = ConnectionDefences.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ConnectionDefences.Config.class)
public class ConnectionDefences implements ConnectorFactory {
    static final String PID = "io.printmaster.http.connections";
    /** Framework property set by the server launcher from {@code --trusted-proxies} / {@code PM_TRUSTED_PROXIES}. */
    public static final String TRUSTED_PROXIES_PROPERTY = "pm.trusted.proxies";
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionDefences.class);

    @ObjectClassDefinition(name = "PrintMaster connection defences")
    public @interface Config {
        // Off by default: Jetty measures the rate from the start of the request, so a small body that arrives in a
        // second packet a moment after the head (Java's HttpClient sends it so) already falls below any useful rate and
        // was refused with 408. Slow bodies are bounded by ApiDispatcher's body_read_timeout_seconds instead, and,
        // read asynchronously, hold no thread meanwhile.
        @AttributeDefinition(description = "Slowest request body accepted, in bytes per second, measured by Jetty from "
                + "the start of the request (its minimum request data rate); a slower body is cut off with 408. 0 (the "
                + "default) turns it off: a small body sent a moment after the request head would fail any useful rate.")
        long min__body__bytes__per__second() default 0;

        @AttributeDefinition(description = "A connection with no traffic for this long is closed (seconds).")
        long idle__timeout__seconds() default 30;

        @AttributeDefinition(description = "Most connections open at once from one client address; further ones are "
                + "closed at once. Trusted proxies are not capped. 0 turns the cap off.")
        int max__connections__per__address() default 2000;

        @AttributeDefinition(description = "Comma-separated addresses and CIDR blocks of reverse proxies whose "
                + "forwarded headers are honoured. PM_TRUSTED_PROXIES / --trusted-proxies win over this.")
        String trusted__proxies() default "";
    }

    /** The settings in force; read by the listener and customizer on every connection and request. */
    record Settings(long minBodyBytesPerSecond, long idleTimeoutMillis, int maxConnectionsPerAddress, TrustedProxies trustedProxies) {
        static Settings of(Config config, String launcherProxies) {
            if (config.min__body__bytes__per__second() < 0) {
                throw new IllegalArgumentException("min_body_bytes_per_second: must be 0 or more, not "
                        + config.min__body__bytes__per__second());
            }
            if (config.idle__timeout__seconds() < 1) {
                throw new IllegalArgumentException("idle_timeout_seconds: must be at least 1, not " + config.idle__timeout__seconds());
            }
            if (config.max__connections__per__address() < 0) {
                throw new IllegalArgumentException("max_connections_per_address: must be 0 or more, not "
                        + config.max__connections__per__address());
            }
            boolean fromLauncher = launcherProxies != null && !launcherProxies.isBlank();
            TrustedProxies proxies;
            try {
                proxies = TrustedProxies.parse(fromLauncher ? launcherProxies : config.trusted__proxies());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException((fromLauncher ? "PM_TRUSTED_PROXIES" : "trusted_proxies") + ": " + e.getMessage(), e);
            }
            return new Settings(config.min__body__bytes__per__second(), config.idle__timeout__seconds() * 1000,
                    config.max__connections__per__address(), proxies);
        }
    }

    private final String launcherProxies;
    private volatile Settings settings;
    private final PerAddressConnectionLimit connectionLimit;
    private final TrustedProxyCustomizer forwarded;
    private final List<ServerConnector> hardened = new ArrayList<>();
    private volatile Server server;
    private final Container.Listener lateConnectors = new Container.Listener() {
        @Override
        public void beanAdded(Container parent, Object child) {
            if (child instanceof Connector c) {
                harden(c);
            }
        }

        @Override
        public void beanRemoved(Container parent, Object child) {
            // a removed connector keeps its settings; it takes no more connections anyway
        }
    };

    @Activate
    public ConnectionDefences(BundleContext context, Config config) {
        this(config, context.getProperty(TRUSTED_PROXIES_PROPERTY));
    }

    ConnectionDefences(Config config, String launcherProxies) {
        this.launcherProxies = launcherProxies;
        this.settings = Settings.of(config, launcherProxies);
        this.connectionLimit = new PerAddressConnectionLimit(() -> settings.maxConnectionsPerAddress(), () -> settings.trustedProxies());
        this.forwarded = new TrustedProxyCustomizer(() -> settings.trustedProxies());
        LOG.info("connection defences: body at least {} B/s, idle timeout {} s, at most {} connections per address, "
                + "trusted proxies {}", settings.minBodyBytesPerSecond(), settings.idleTimeoutMillis() / 1000,
                settings.maxConnectionsPerAddress(), settings.trustedProxies());
    }

    @Modified
    void modified(Config config) {
        this.settings = Settings.of(config, launcherProxies);
        synchronized (hardened) {
            hardened.forEach(this::apply);
        }
        LOG.info("connection defences changed: body at least {} B/s, idle timeout {} s, at most {} connections per "
                + "address, trusted proxies {}", settings.minBodyBytesPerSecond(), settings.idleTimeoutMillis() / 1000,
                settings.maxConnectionsPerAddress(), settings.trustedProxies());
    }

    Settings settings() {
        return settings;
    }

    PerAddressConnectionLimit connectionLimit() {
        return connectionLimit;
    }

    @Override
    public Connector createConnector(Server server) {
        this.server = server;
        for (Connector c : server.getConnectors()) {
            harden(c);
        }
        server.addEventListener(lateConnectors);
        return new JsonServerErrors.InertConnector(server);
    }

    /** Applies the defences to one connector: every listener of the server goes through here. */
    void harden(Connector connector) {
        if (!(connector instanceof ServerConnector sc) || connector instanceof JsonServerErrors.InertConnector) {
            return;
        }
        synchronized (hardened) {
            if (hardened.contains(sc)) {
                return;
            }
            hardened.add(sc);
        }
        apply(sc);
        if (sc.isStarted()) {
            sc.getSelectorManager().addEventListener(connectionLimit);
        } else {
            // a connector registers the selector listeners among its beans when it starts
            sc.addBean(connectionLimit);
        }
    }

    private void apply(ServerConnector sc) {
        Settings s = settings;
        sc.setIdleTimeout(s.idleTimeoutMillis());
        for (HttpConfiguration config : httpConfigurations(sc)) {
            config.setMinRequestDataRate(s.minBodyBytesPerSecond());
            if (config.getCustomizer(TrustedProxyCustomizer.class) == null) {
                config.addCustomizer(forwarded);
            }
        }
    }

    private static List<HttpConfiguration> httpConfigurations(ServerConnector sc) {
        List<HttpConfiguration> configs = new ArrayList<>();
        for (var factory : sc.getConnectionFactories()) {
            if (factory instanceof HttpConfiguration.ConnectionFactory hf && !configs.contains(hf.getHttpConfiguration())) {
                configs.add(hf.getHttpConfiguration());
            }
        }
        return configs;
    }

    @Deactivate
    void deactivate() {
        Server s = server;
        if (s != null) {
            s.removeEventListener(lateConnectors);
        }
        synchronized (hardened) {
            for (ServerConnector sc : hardened) {
                for (HttpConfiguration config : httpConfigurations(sc)) {
                    config.removeCustomizer(forwarded);
                }
                sc.getSelectorManager().removeEventListener(connectionLimit);
                sc.removeBean(connectionLimit);
            }
            hardened.clear();
        }
    }
}
