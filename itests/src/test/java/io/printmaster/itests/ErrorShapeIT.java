package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.newDataDir("errorshape"), ServerContainer.freePort());
    }

    private int port() {
        return Integer.parseInt(context.getProperty("org.osgi.service.http.port"));
    }

    private RawHttp.Answer raw(String request) throws IOException {
        return RawHttp.send(port(), request);
    }

    private static String post(String path, String json) {
        return RawHttp.post(path, json);
    }

    private static JsonNode assertErrorShape(RawHttp.Answer a, int status, String what) throws IOException {
        return RawHttp.assertErrorShape(a, status, what);
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
            RawHttp.Answer a = raw(r.request());
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
