package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Talks to the server's REST API over real HTTP, as a browser session, an API token or nobody. Each instance is
 * one identity; {@link #login} and {@link #withToken} give the others. JSON is read with the Jackson of the
 * framework under test.
 */
final class ApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final Optional<String> sessionCookie;
    private final Optional<String> csrfToken;
    private final Optional<String> bearer;

    private ApiClient(String base, Optional<String> sessionCookie, Optional<String> csrfToken, Optional<String> bearer) {
        this.base = base;
        this.sessionCookie = sessionCookie;
        this.csrfToken = csrfToken;
        this.bearer = bearer;
    }

    /** Nobody: no cookie, no token. */
    static ApiClient anonymous(String port) {
        return new ApiClient("http://127.0.0.1:" + port, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** An answer: status, body, and the body as JSON when it is JSON. */
    record Response(int status, String body, HttpResponse<String> raw) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            try {
                return JSON.readValue(body, Map.class);
            } catch (IOException e) {
                throw new AssertionError("not a JSON object (status " + status + "): " + body, e);
            }
        }

        /** Asserts the status and the documented error shape {@code {"error":{"code","message"}}}; returns the code. */
        String assertError(int expectedStatus, String context) {
            assertEquals(context + ": " + body, expectedStatus, status);
            assertTrue(context + ": error answers are JSON: " + raw.headers().firstValue("Content-Type"),
                    raw.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            Object error = json().get("error");
            assertTrue(context + ": no error object in " + body, error instanceof Map);
            Map<?, ?> e = (Map<?, ?>) error;
            assertTrue(context + ": error without code: " + body, e.get("code") instanceof String);
            assertTrue(context + ": error without message: " + body,
                    e.get("message") instanceof String && !((String) e.get("message")).isBlank());
            return (String) e.get("code");
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Response get(String path) throws Exception {
        return send("GET", path, null);
    }

    Response post(String path, Object body) throws Exception {
        return send("POST", path, body);
    }

    /** One request; a non-null body is sent as JSON (a String as it is, anything else serialized). */
    Response send(String method, String path, Object body) throws Exception {
        return send(method, path, body, true);
    }

    Response send(String method, String path, Object body, boolean withCsrf) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            String text = body instanceof String s ? s : JSON.writeValueAsString(body);
            b.method(method, HttpRequest.BodyPublishers.ofString(text)).header("Content-Type", "application/json");
        }
        sessionCookie.ifPresent(c -> b.header("Cookie", c));
        if (withCsrf) {
            csrfToken.ifPresent(t -> b.header("X-CSRF-Token", t));
        }
        bearer.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        HttpResponse<String> r;
        try {
            r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException(method + " " + path + " failed: " + e, e);
        }
        return new Response(r.statusCode(), r.body(), r);
    }

    /** A GET whose body is written to {@code target} (installers, artifacts); the answer's status and headers. */
    HttpResponse<java.nio.file.Path> download(String path, java.nio.file.Path target) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(3)).GET();
        sessionCookie.ifPresent(c -> b.header("Cookie", c));
        bearer.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofFile(target));
    }

    /** The administrator's console session: the session cookie and the CSRF token from a real login. */
    ApiClient login(String password) throws Exception {
        Response r = post("/api/v1/auth/login", Map.of("username", "admin", "password", password));
        assertEquals("login: " + r.body(), 200, r.status());
        String setCookie = r.header("Set-Cookie");
        assertNotNull("login sets the session cookie", setCookie);
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String csrf = (String) r.json().get("csrf_token");
        assertNotNull("login answers the CSRF token: " + r.body(), csrf);
        return new ApiClient(base, Optional.of(cookie), Optional.of(csrf), Optional.empty());
    }

    /** The session cookie ({@code PM_SESSION=…}) of a logged-in client, for requests made without this class. */
    String cookie() {
        return sessionCookie.orElseThrow(() -> new IllegalStateException("not a console session"));
    }

    /** The same server, as the holder of an API token. */
    ApiClient withToken(String token) {
        return new ApiClient(base, Optional.empty(), Optional.empty(), Optional.of(token));
    }

    /**
     * Mints an API token through the console session ({@code POST /api/v1/auth/tokens}); returns the secret.
     *
     * @param fleets null for an unrestricted token
     */
    String createToken(String name, List<String> scopes, List<String> fleets) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("scopes", scopes);
        if (fleets != null) {
            body.put("fleets", fleets);
        }
        Response r = post("/api/v1/auth/tokens", body);
        assertEquals("create token " + name + ": " + r.body(), 201, r.status());
        return (String) r.json().get("token");
    }

    /** Waits until the server answers its health check with UP. */
    void awaitHealthy() throws Exception {
        Eventually.within(Duration.ofSeconds(30), () -> {
            Response r = get("/api/v1/health");
            assertEquals(r.body(), 200, r.status());
        });
    }
}
