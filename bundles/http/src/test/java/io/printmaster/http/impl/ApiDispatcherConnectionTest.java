package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.Scopes;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Regression: a request refused before its body was read (401, 403, 404, …) left the body on the connection;
 * Jetty closed the connection after the answer without saying so, and a client reusing it for the next request
 * got an empty reply ("header parser received no bytes"). Such answers now carry {@code Connection: close}.
 */
class ApiDispatcherConnectionTest {

    /** The servlet request and response surface the dispatcher uses, over plain maps and byte arrays. */
    static final class Exchange {
        final Map<String, String> requestHeaders = new HashMap<>();
        final Map<String, String> responseHeaders = new HashMap<>();
        final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
        final String method;
        final String uri;
        final byte[] body;
        int status = 200;
        int bytesRead;

        Exchange(String method, String uri, String body) {
            this.method = method;
            this.uri = uri;
            this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                requestHeaders.put("Content-Type", "application/json");
            }
        }

        HttpServletRequest request() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            ServletInputStream stream = new ServletInputStream() {
                @Override
                public int read() {
                    int b = in.read();
                    if (b >= 0) {
                        bytesRead++;
                    }
                    return b;
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener l) {
                }
            };
            return (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpServletRequest.class},
                    (p, m, a) -> switch (m.getName()) {
                        case "getRequestURI" -> uri;
                        case "getContextPath" -> "";
                        case "getMethod" -> method;
                        case "getHeader" -> requestHeaders.get((String) a[0]);
                        case "getCookies" -> null;
                        case "getContentLengthLong" -> body.length == 0 ? -1L : (long) body.length;
                        case "getContentLength" -> body.length == 0 ? -1 : body.length;
                        case "getInputStream" -> stream;
                        case "getRemoteAddr" -> "127.0.0.1";
                        case "isSecure" -> false;
                        // the blocking read, as without a servlet container's async support
                        case "isAsyncSupported" -> false;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        HttpServletResponse response() {
            ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(int b) {
                    responseBody.write(b);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener l) {
                }
            };
            return (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpServletResponse.class},
                    (p, m, a) -> switch (m.getName()) {
                        case "setStatus" -> {
                            status = (Integer) a[0];
                            yield null;
                        }
                        case "setHeader", "addHeader" -> {
                            responseHeaders.put((String) a[0], (String) a[1]);
                            yield null;
                        }
                        case "isCommitted" -> responseBody.size() > 0;
                        case "getOutputStream" -> out;
                        case "setContentType", "setContentLength" -> null;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    private static ApiDispatcher dispatcher() {
        ApiDispatcher.Config config = (ApiDispatcher.Config) Proxy.newProxyInstance(ApiDispatcher.Config.class.getClassLoader(),
                new Class<?>[] {ApiDispatcher.Config.class}, (p, m, a) -> m.getDefaultValue());
        ApiDispatcher d = new ApiDispatcher(config);
        d.addProvider(() -> List.of(Route.post("/api/v1/things", Scopes.FLEETS_WRITE, req -> ApiResponse.created(Map.of("ok", true)))));
        // a bearer token "good" holds fleets.write
        d.addAuthenticator(credentials -> credentials.bearerToken().filter("good"::equals)
                .map(t -> new Caller("token:test", Caller.Kind.TOKEN, Set.of(Scopes.FLEETS_WRITE), Optional.empty(), Optional.empty())));
        return d;
    }

    private static Exchange call(ApiDispatcher d, String method, String uri, String body, String bearer) throws Exception {
        Exchange x = new Exchange(method, uri, body);
        if (bearer != null) {
            x.requestHeaders.put("Authorization", "Bearer " + bearer);
        }
        d.service(x.request(), x.response());
        return x;
    }

    @Test
    void refusedBeforeReadingTheBodyTheAnswerClosesTheConnection() throws Exception {
        ApiDispatcher d = dispatcher();
        Exchange anonymous = call(d, "POST", "/api/v1/things", "{\"name\":\"x\"}", null);
        assertEquals(401, anonymous.status);
        assertEquals(0, anonymous.bytesRead, "the body of an unauthenticated caller is not read");
        assertEquals("close", anonymous.responseHeaders.get("Connection"));

        Exchange unknownPath = call(d, "POST", "/api/v1/nothing-here", "{}", "good");
        assertEquals(404, unknownPath.status);
        assertEquals("close", unknownPath.responseHeaders.get("Connection"));
    }

    @Test
    void answersAfterTheBodyWasReadKeepTheConnection() throws Exception {
        ApiDispatcher d = dispatcher();
        Exchange allowed = call(d, "POST", "/api/v1/things", "{\"name\":\"x\"}", "good");
        assertEquals(201, allowed.status);
        assertNull(allowed.responseHeaders.get("Connection"));
    }

    @Test
    void refusedRequestsWithoutABodyKeepTheConnection() throws Exception {
        ApiDispatcher d = dispatcher();
        Exchange anonymous = call(d, "POST", "/api/v1/things", null, null);
        assertEquals(401, anonymous.status);
        assertNull(anonymous.responseHeaders.get("Connection"));
    }
}
