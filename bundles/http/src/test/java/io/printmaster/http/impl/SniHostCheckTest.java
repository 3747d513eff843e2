package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

/** The connectors as Felix HTTP builds them (JettyService.initializeHttps): the HTTPS one stops checking SNI hosts. */
class SniHostCheckTest {
    @Test
    void theHttpsConnectorsCustomizerStopsCheckingAndPlainHttpIsLeftAlone() {
        Server server = new Server();
        HttpConnectionFactory https = new HttpConnectionFactory();
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        https.getHttpConfiguration().addCustomizer(secure);
        server.addConnector(new ServerConnector(server, new SslConnectionFactory(new SslContextFactory.Server(), "http/1.1"), https));
        server.addConnector(new ServerConnector(server, new HttpConnectionFactory()));
        assertTrue(secure.isSniHostCheck(), "Jetty's default: a Host the certificate does not name is refused");

        assertEquals(1, SniHostCheck.relax(server));
        assertFalse(secure.isSniHostCheck());
        assertEquals(0, SniHostCheck.relax(new Server()), "no HTTPS: nothing to relax");
    }
}
