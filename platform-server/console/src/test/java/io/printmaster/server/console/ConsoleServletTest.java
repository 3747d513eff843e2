package io.printmaster.server.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The servlet over a small fixed set of files, called with hand-written request and response fakes. */
class ConsoleServletTest {
    private static final Map<String, String> FILES = Map.of(
            "console/index.html", "<!doctype html><title>console</title>",
            "console/js/app.js", "console.log('hi');",
            "console/console.css", "body{}");

    private final ConsoleServlet servlet = new ConsoleServlet(new ConsoleAssets(name ->
            FILES.containsKey(name) ? new ByteArrayInputStream(FILES.get(name).getBytes(StandardCharsets.UTF_8)) : null));

    @Test
    void rootAndClientRoutesAnswerTheIndexAsHtml() throws Exception {
        for (String path : new String[] {"/", "/fleets", "/fleets/lab/policy"}) {
            Answer a = call("GET", path, Map.of());
            assertEquals(200, a.status, path);
            assertEquals("text/html; charset=utf-8", a.contentType, path);
            assertEquals(FILES.get("console/index.html"), a.body(), path);
        }
    }

    @Test
    void filesHaveTheirTypeAStrongEtagAndMustBeRevalidated() throws Exception {
        Answer js = call("GET", "/js/app.js", Map.of());
        assertEquals(200, js.status);
        assertEquals("text/javascript; charset=utf-8", js.contentType);
        assertEquals(FILES.get("console/js/app.js"), js.body());
        assertEquals(js.body.size(), js.contentLength);
        String etag = js.headers.get("ETag");
        assertNotNull(etag);
        assertTrue(etag.startsWith("\"") && etag.endsWith("\""), etag);
        assertEquals("no-cache", js.headers.get("Cache-Control"));
        assertEquals("text/css; charset=utf-8", call("GET", "/console.css", Map.of()).contentType);
    }

    @Test
    void aMatchingIfNoneMatchAnswers304WithoutBody() throws Exception {
        String etag = call("GET", "/js/app.js", Map.of()).headers.get("ETag");
        Answer again = call("GET", "/js/app.js", Map.of("If-None-Match", "\"other\", W/" + etag));
        assertEquals(304, again.status);
        assertEquals(0, again.body.size());
        assertEquals(etag, again.headers.get("ETag"));
        assertEquals(200, call("GET", "/js/app.js", Map.of("If-None-Match", "\"other\"")).status);
    }

    @Test
    void missingFilesAndTraversalAre404NotTheIndex() throws Exception {
        for (String path : new String[] {"/js/missing.js", "/favicon.ico", "/../console/index.html", "/api/v1/nothing"}) {
            Answer a = call("GET", path, Map.of());
            assertEquals(404, a.status, path);
            assertTrue(a.contentType.startsWith("text/plain"), path);
            assertEquals("no-store", a.headers.get("Cache-Control"), path);
        }
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() throws Exception {
        for (Answer a : new Answer[] {call("GET", "/", Map.of()), call("GET", "/js/app.js", Map.of()),
                call("GET", "/nope.js", Map.of()), call("POST", "/", Map.of())}) {
            String csp = a.headers.get("Content-Security-Policy");
            assertNotNull(csp);
            assertTrue(csp.startsWith("default-src 'self'"), csp);
            assertTrue(csp.contains("frame-ancestors 'none'"), csp);
            assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
            assertEquals("nosniff", a.headers.get("X-Content-Type-Options"));
            assertEquals("same-origin", a.headers.get("Referrer-Policy"));
        }
    }

    @Test
    void headAnswersHeadersOnlyAndOtherMethodsAre405() throws Exception {
        Answer head = call("HEAD", "/js/app.js", Map.of());
        assertEquals(200, head.status);
        assertEquals(FILES.get("console/js/app.js").length(), head.contentLength);
        assertEquals(0, head.body.size());

        Answer post = call("POST", "/fleets", Map.of());
        assertEquals(405, post.status);
        assertEquals("GET, HEAD", post.headers.get("Allow"));
    }

    @Test
    void etagComparisonFollowsIfNoneMatchRules() {
        assertTrue(ConsoleAssets.matches("*", "\"a\""));
        assertTrue(ConsoleAssets.matches("\"b\" , \"a\"", "\"a\""));
        assertTrue(ConsoleAssets.matches("W/\"a\"", "\"a\""));
        assertTrue(!ConsoleAssets.matches("\"b\"", "\"a\""));
        assertTrue(!ConsoleAssets.matches(null, "\"a\""));
    }

    // ---- fakes -------------------------------------------------------------------------------------------------

    static final class Answer {
        int status = 200;
        String contentType;
        long contentLength = -1;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final ByteArrayOutputStream body = new ByteArrayOutputStream();

        String body() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    private Answer call(String method, String path, Map<String, String> requestHeaders) throws Exception {
        Map<String, String> reqHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        reqHeaders.putAll(requestHeaders);
        HttpServletRequest req = (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getRequestURI" -> path;
                    case "getContextPath" -> "";
                    case "getHeader" -> reqHeaders.get((String) args[0]);
                    default -> throw new UnsupportedOperationException("request." + m.getName());
                });
        Answer answer = new Answer();
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
            }

            @Override
            public void write(int b) {
                answer.body.write(b);
            }
        };
        HttpServletResponse resp = (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "setStatus" -> {
                        answer.status = (Integer) args[0];
                        yield null;
                    }
                    case "setHeader" -> answer.headers.put((String) args[0], (String) args[1]);
                    case "setContentType" -> {
                        answer.contentType = (String) args[0];
                        yield null;
                    }
                    case "setContentLength" -> {
                        answer.contentLength = (Integer) args[0];
                        yield null;
                    }
                    case "getOutputStream" -> out;
                    default -> throw new UnsupportedOperationException("response." + m.getName());
                });
        servlet.service(req, resp);
        return answer;
    }
}
