package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real Jetty on loopback, handed to the component as Felix HTTP would hand it: its refusals answer JSON. */
class JsonServerErrorsTest {
    private Server server;
    private ServerConnector http;
    private final JsonServerErrors errors = new JsonServerErrors();

    @BeforeEach
    void start() throws Exception {
        server = new Server();
        http = new ServerConnector(server);
        http.setPort(0);
        http.setHost("127.0.0.1");
        server.addConnector(http);
        server.start();
        var connector = errors.createConnector(server);
        // as Felix does with the connector it is given
        server.addConnector(connector);
        connector.start();
        assertTrue(connector.isStarted());
        assertEquals(-1, ((ServerConnector) connector).getLocalPort(), "opens no port");
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    private String send(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", http.getLocalPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static JsonNode error(String answer, int status) throws IOException {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase();
        assertTrue(head.contains("content-type: application/json"), answer);
        String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        assertFalse(body.contains("<html"), body);
        return new ObjectMapper().readTree(body).path("error");
    }

    @Test
    void anAmbiguousUriIsABadRequestInTheErrorShape() throws Exception {
        JsonNode e = error(send("GET /api/v1/%2e%2e/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 400);
        assertEquals("bad_request", e.path("code").asText());
        assertEquals("the request was refused: Ambiguous URI path segment", e.path("message").asText());
    }

    @Test
    void oversizedHeadersAndRequestLinesKeepJettysStatus() throws Exception {
        assertEquals("headers_too_large", error(send("GET / HTTP/1.1\r\nHost: localhost\r\nX-A: " + "a".repeat(40_000)
                + "\r\n\r\n"), 431).path("code").asText());
        // Jetty says 414 for a request line past its buffer, or 431 when the buffer filled up before the line's end
        // had arrived (how the bytes were split into reads): either way its status, in the JSON shape
        String tooLong = send("GET /" + "a".repeat(40_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        int status = tooLong.startsWith("HTTP/1.1 431 ") ? 431 : 414;
        assertEquals(status == 414 ? "uri_too_long" : "headers_too_large", error(tooLong, status).path("code").asText());
    }

    @Test
    void anUnhandledPathIsNotFoundInTheErrorShape() throws Exception {
        assertEquals("not_found", error(send("GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 404)
                .path("code").asText());
    }

    @Test
    void codesAndMessagesNeverCarryExceptionText() {
        assertEquals("http_version_not_supported", JsonServerErrors.code(505));
        assertEquals("the server failed to handle this request; see the server log",
                JsonServerErrors.message(500, "java.lang.NullPointerException: x"));
        assertEquals("the request was refused: Bad Request",
                JsonServerErrors.message(400, "org.eclipse.jetty.http.BadMessageException: 400: x"));
    }

    @Test
    void deactivationGivesTheServerItsHandlerBack() {
        errors.deactivate();
        assertFalse(server.getErrorHandler().getClass().getName().contains("JsonServerErrors"));
    }
}
