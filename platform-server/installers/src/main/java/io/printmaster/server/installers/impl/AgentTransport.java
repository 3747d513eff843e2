package io.printmaster.server.installers.impl;

import io.printmaster.core.net.PlainHttpRule;
import java.net.URI;
import java.util.Map;

/**
 * What an installer tells its agent about reaching the server, beyond the URL (fleet.json, docs/api.md#installers):
 * <ul>
 *   <li>{@code tls_pinned}: trust only the certificates of {@code etc/ca-bundle.pem} (the server's own, pinned by
 *   its public key, and the configured CA bundle), never the system's CAs. Set when the installer is built for the
 *   server's own HTTPS listener ({@code --tls-cert} or {@code --tls self-signed}) and carries its certificate;</li>
 *   <li>{@code allow_insecure_http}: plain {@code http://} to a host other than loopback is acceptable. Set only when
 *   the admin configured it ({@value #ALLOW_KEY} of PID {@value InstallerSettings#PID}): agents refuse such a URL
 *   otherwise.</li>
 * </ul>
 * Both are written only when true, so the fleet files of a setup without TLS choices stay as they were.
 */
record AgentTransport(boolean tlsPinned, boolean allowInsecureHttp) {
    static final AgentTransport DEFAULT = new AgentTransport(false, false);
    /** PID {@value InstallerSettings#PID}: whether installers made over the server's own HTTPS pin its certificate. */
    static final String PIN_KEY = "pin_server_certificate";
    /** PID {@value InstallerSettings#PID}: whether installers may point agents at plain http on another host. */
    static final String ALLOW_KEY = PlainHttpRule.ALLOW_INSECURE_HTTP;

    /** The two settings of the installers' configuration, with their defaults (pin: yes; insecure http: no). */
    record Settings(boolean pinServerCertificate, boolean allowInsecureHttp) {
        static Settings from(Map<String, ?> properties) {
            return new Settings(bool(properties.get(PIN_KEY), true), bool(properties.get(ALLOW_KEY), false));
        }

        private static boolean bool(Object value, boolean otherwise) {
            if (value instanceof Boolean b) {
                return b;
            }
            if (value instanceof String s && !s.isBlank()) {
                return Boolean.parseBoolean(s.strip());
            }
            return otherwise;
        }
    }

    /** What to embed, and the CA bundle text to carry (the served chain first, then the configured bundle's). */
    record Decision(AgentTransport transport, String caBundlePem) {
    }

    /**
     * Decides for an installer that points agents at {@code serverUrl}.
     *
     * @param servedChainPem the chain the server serves on its own HTTPS listener, or null without one
     * @param configuredCaPem the configured CA bundle ({@code ca_bundle}), or null
     * @throws IllegalStateException with a message for the admin when agents would refuse the URL
     */
    static Decision decide(String serverUrl, String servedChainPem, String configuredCaPem, Settings settings) {
        URI url = URI.create(serverUrl);
        if (PlainHttpRule.refusal(url, settings.allowInsecureHttp()).isPresent()) {
            throw new IllegalStateException("agents refuse the server URL " + serverUrl + " this installer would carry: "
                    + "plain HTTP to a host other than loopback. Serve HTTPS (--tls-cert/--tls-key or --tls self-signed) "
                    + "and download over https, set an https server_url, or, on a network you trust, set "
                    + ALLOW_KEY + "=true in " + InstallerSettings.PID);
        }
        boolean insecure = settings.allowInsecureHttp() && "http".equalsIgnoreCase(url.getScheme())
                && !PlainHttpRule.isLoopback(url.getHost());
        if ("https".equalsIgnoreCase(url.getScheme()) && servedChainPem != null && settings.pinServerCertificate()) {
            return new Decision(new AgentTransport(true, insecure), pinnedBundle(servedChainPem, configuredCaPem));
        }
        return new Decision(new AgentTransport(false, insecure), configuredCaPem);
    }

    /**
     * What pinned agents trust: the served chain, then the configured CA bundle's certificates (a CA, or the next
     * server certificate an admin stages before a change of key).
     */
    static String pinnedBundle(String servedChainPem, String configuredCaPem) {
        return configuredCaPem == null || servedChainPem.contains(configuredCaPem.strip())
                ? servedChainPem : servedChainPem + configuredCaPem;
    }

    void writeTo(Map<String, Object> fleetJson) {
        if (tlsPinned) {
            fleetJson.put("tls_pinned", true);
        }
        if (allowInsecureHttp) {
            fleetJson.put(ALLOW_KEY, true);
        }
    }
}
