package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * Every refusal answers in the API's one error shape, {@code {"error":{"code","message"}}} as JSON: bodies that are
 * not the object a route reads, and the requests Jetty itself rejects before any route runs (bad URIs, oversized
 * headers, bad framing). Sent over a raw socket because java.net.http refuses to send most of them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ErrorShapeIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.newDataDir("errorshape"), ServerContainer.freePort());
    }

    record Answer(int status, String contentType, String body) {
        JsonNode error() throws IOException {
            return JSON.readTree(body).path("error");
        }
    }

    private int port() {
        return Integer.parseInt(context.getProperty("org.osgi.service.http.port"));
    }

    /** Sends the bytes as they are and reads the answer until the server closes the connection. */
    private Answer raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            try {
                while ((n = in.read(buf)) >= 0) {
                    all.write(buf, 0, n);
                    Answer done = parse(all.toString(StandardCharsets.ISO_8859_1), false);
                    if (done != null) {
                        return done;
                    }
                }
            } catch (java.net.SocketException reset) {
                // the server may reset after answering a request it will not read to the end
            }
            return parse(all.toString(StandardCharsets.ISO_8859_1), true);
        }
    }

    /** The answer once head and body (by Content-Length) are complete; null while more is to come. */
    private static Answer parse(String text, boolean eof) {
        int head = text.indexOf("\r\n\r\n");
        if (head < 0) {
            assertFalse("no complete answer before the connection closed: " + text, eof);
            return null;
        }
        String[] lines = text.substring(0, head).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        String contentType = null;
        int length = -1;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).trim();
            } else if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        String body = text.substring(head + 4);
        if (length >= 0 && body.getBytes(StandardCharsets.ISO_8859_1).length < length) {
            assertFalse("answer cut short: " + text, eof);
            return null;
        }
        if (length < 0 && !eof) {
            return null;
        }
        return new Answer(status, contentType, length >= 0 ? body.substring(0, length) : body);
    }

    private static String post(String path, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\nConnection: close\r\n\r\n" + json;
    }

    private static JsonNode assertErrorShape(Answer a, int status, String what) throws IOException {
        assertEquals(what + ": " + a, status, a.status());
        assertNotNull(what + " has a content type: " + a, a.contentType());
        assertTrue(what + " answers JSON: " + a, a.contentType().startsWith("application/json"));
        JsonNode error = a.error();
        assertTrue(what + " has error.code: " + a, error.path("code").isTextual());
        assertTrue(what + " has error.message: " + a, error.path("message").isTextual());
        assertFalse(what + " names no Java type: " + a, a.body().contains("java.") || a.body().contains("Exception"));
        return error;
    }

    @Test
    public void bodiesThatAreNotTheExpectedObjectAre400NamingTheProblem() throws Exception {
        ApiClient.anonymous(String.valueOf(port())).awaitHealthy();
        for (String route : List.of("/api/v1/auth/login", "/api/v1/agents/enroll")) {
            for (String body : List.of("null", "[]", "\"x\"", "42")) {
                JsonNode error = assertErrorShape(raw(post(route, body)), 400, route + " with body " + body);
                assertEquals(route + " " + body, "invalid_body", error.path("code").asText());
            }
        }
        JsonNode login = assertErrorShape(raw(post("/api/v1/auth/login", "{\"username\":42,\"password\":\"x\"}")),
                400, "a number for a string");
        assertEquals("invalid_field", login.path("code").asText());
        assertEquals("username", login.path("field").asText());
        assertTrue(login.toString(), login.path("message").asText().contains("must be a string, not a number"));

        JsonNode enroll = assertErrorShape(raw(post("/api/v1/agents/enroll", "{\"join_token\":{\"a\":1}}")),
                400, "an object for a string");
        assertEquals("join_token", enroll.path("field").asText());
    }

    record Rejection(String what, String request, int status, String code) {
    }

    @Test
    public void requestsJettyRejectsAnswerTheErrorShape() throws Exception {
        ApiClient.anonymous(String.valueOf(port())).awaitHealthy();
        String longHeader = "X-Filler: " + "a".repeat(64 * 1024) + "\r\n";
        String longUri = "/api/v1/health?q=" + "a".repeat(64 * 1024);
        List<Rejection> rejections = List.of(
                new Rejection("dot segments encoded", "GET /api/v1/%2e%2e/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
                new Rejection("an encoded NUL", "GET /api/v1/a%00b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
                new Rejection("an encoded slash", "GET /api/v1/a%2Fb HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
                new Rejection("headers too large", "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n" + longHeader + "\r\n", 431, "headers_too_large"),
                new Rejection("request line too long", "GET " + longUri + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long"),
                new Rejection("a bad Host", "GET /api/v1/health HTTP/1.1\r\nHost: a b:c:d\r\n\r\n", 400, "bad_request"),
                new Rejection("no Host", "GET /api/v1/health HTTP/1.1\r\n\r\n", 400, "bad_request"),
                new Rejection("a bad method", "G@T /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
                new Rejection("a bad Content-Length", "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", 400, "bad_request"),
                new Rejection("two Content-Lengths", "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "bad_request"),
                new Rejection("an unsupported Transfer-Encoding", "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "bad_request"),
                new Rejection("an unsupported HTTP version", "GET /api/v1/health HTTP/7.0\r\nHost: localhost\r\n\r\n", 505, "http_version_not_supported"),
                new Rejection("outside /api too", "GET /%2e%2e/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_request"));
        List<String> failures = new ArrayList<>();
        for (Rejection r : rejections) {
            Answer a = raw(r.request());
            try {
                JsonNode error = assertErrorShape(a, r.status(), r.what());
                assertEquals(r.what() + ": " + a, r.code(), error.path("code").asText());
            } catch (AssertionError e) {
                failures.add(r.what() + " -> " + a.status() + " " + a.contentType() + " "
                        + a.body().substring(0, Math.min(200, a.body().length())).replace('\n', ' '));
            }
        }
        assertTrue("not in the error shape:\n" + String.join("\n", failures), failures.isEmpty());
    }
}
