package io.printmaster.http.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Makes the requests Jetty refuses before any servlet runs (an ambiguous or illegal URI, headers or a request line
 * too long, a bad {@code Host}, method, {@code Content-Length} or {@code Transfer-Encoding}) answer in the API's one
 * error shape, as JSON, with the status Jetty chose, instead of Jetty's HTML page.
 *
 * <p>Those refusals are rendered by the server-level error handler, which whiteboard error pages never see and
 * Felix HTTP's configuration cannot replace (it only adds headers to its own HTML handler). The one place Felix
 * hands out its Jetty {@link Server} is {@link ConnectorFactory}, called once the server is started; so this
 * component is one: it installs the JSON handler there and returns an {@link InertConnector}, which opens no port.
 */
@Component(service = ConnectorFactory.class)
public class JsonServerErrors implements ConnectorFactory {
    private final JsonMapper json = new JsonMapper();
    private volatile Server server;
    private volatile Request.Handler replaced;
    private final JsonErrorHandler handler = new JsonErrorHandler();

    @Override
    public Connector createConnector(Server server) {
        this.replaced = server.getErrorHandler();
        this.server = server;
        server.setErrorHandler(handler);
        // the one hook on Felix's server, shared: the HTTPS connector (if any) exists by now
        SniHostCheck.relax(server);
        return new InertConnector(server);
    }

    /**
     * The connector Felix asks for, which accepts nothing. A {@link ServerConnector} because Felix reads every
     * connector of its server as one when it publishes its endpoints (any other kind fails Jetty's start); bound to
     * loopback in name only, which Felix leaves out of the endpoints, and never opened.
     */
    static final class InertConnector extends ServerConnector {
        InertConnector(Server server) {
            super(server, 0, 1);
            setHost("127.0.0.1");
            setPort(0);
        }

        @Override
        public void open() {
            // no socket: this connector exists only to be handed to Felix
        }

        @Override
        protected void doStart() {
            // nothing to accept
        }

        @Override
        protected void doStop() {
            // nothing was started
        }
    }

    @Deactivate
    void deactivate() {
        Server s = server;
        if (s != null && s.getErrorHandler() == handler && replaced != null) {
            s.setErrorHandler(replaced);
        }
    }

    /** The API's error code for a status Jetty answers on its own. */
    static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 500 -> "internal_error";
            default -> {
                String reason = HttpStatus.getMessage(status);
                yield reason == null || reason.isBlank() ? "http_" + status
                        : reason.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
            }
        };
    }

    /**
     * Jetty's reason for a 4xx says what was wrong ("Ambiguous URI path segment", "Invalid Content-Length Value");
     * anything that could carry an exception's text, and every 5xx, gets a fixed sentence instead.
     */
    static String message(int status, String jettyMessage) {
        if (status >= 500) {
            return status == 500 ? "the server failed to handle this request; see the server log"
                    : "the server cannot handle this request: " + HttpStatus.getMessage(status);
        }
        boolean usable = jettyMessage != null && !jettyMessage.isBlank() && jettyMessage.length() <= 200
                && !jettyMessage.contains("java.") && !jettyMessage.contains("org.") && !jettyMessage.contains("Exception");
        return "the request was refused: " + (usable ? jettyMessage : HttpStatus.getMessage(status));
    }

    private final class JsonErrorHandler extends ErrorHandler {
        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                Callback callback) throws IOException {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", code(code));
            error.put("message", message(code, message));
            byte[] bytes = json.bytes(Map.of("error", error));
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }
}
