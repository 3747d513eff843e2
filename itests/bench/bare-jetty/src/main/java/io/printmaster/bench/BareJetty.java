package io.printmaster.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The ceiling for {@code GET /api/v1/health}: a plain Jetty 12 core handler on 127.0.0.1 that answers every request
 * with the same JSON body and headers the server's health route returns, the body prepared once. No servlet layer, no OSGi, no routing,
 * no readiness checks: what is left is the cost of Jetty and the loopback itself.
 *
 * <p>Usage: {@code BareJetty PORT}
 */
public final class BareJetty {
    private BareJetty() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        byte[] body = "{\"status\":\"UP\",\"version\":\"0.1.0-SNAPSHOT\",\"uptime_seconds\":1,\"storage\":{\"state\":\"UP\",\"kind\":\"derby\"}}"
                .getBytes(StandardCharsets.UTF_8);
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // the server does not send it either: same bytes on the wire
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                response.getHeaders().put("X-Content-Type-Options", "nosniff");
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        System.out.println("bare Jetty " + Server.getVersion() + " on 127.0.0.1:" + port);
        server.join();
    }
}
