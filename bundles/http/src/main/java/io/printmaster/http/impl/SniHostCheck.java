package io.printmaster.http.impl;

import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;

/**
 * Turns off Jetty's SNI host check on the HTTPS connector Felix HTTP builds for {@code --tls-cert} / {@code --tls
 * self-signed}. Jetty's {@link SecureRequestCustomizer} answers {@code 400 Invalid SNI} to every request whose
 * {@code Host} is not a name of the certificate, and Felix offers no setting for it. The server has exactly one
 * certificate, so the check protects nothing here, while it would break what TLS pinning is for: agents pin the
 * server's public key and reach it at the URL their installer carries, which is whatever address the admin
 * downloaded it from (a LAN address a self-signed certificate does not name, a DNS alias). Browsers and other clients
 * still check the name against the certificate themselves.
 */
final class SniHostCheck {
    private SniHostCheck() {
    }

    /** Relaxes every secure request customizer of {@code server}'s connectors; how many it found. */
    static int relax(Server server) {
        int relaxed = 0;
        for (Connector connector : server.getConnectors()) {
            for (ConnectionFactory factory : connector.getConnectionFactories()) {
                if (factory instanceof HttpConfiguration.ConnectionFactory http) {
                    for (HttpConfiguration.Customizer c : http.getHttpConfiguration().getCustomizers()) {
                        if (c instanceof SecureRequestCustomizer secure) {
                            secure.setSniHostCheck(false);
                            relaxed++;
                        }
                    }
                }
            }
        }
        return relaxed;
    }
}
