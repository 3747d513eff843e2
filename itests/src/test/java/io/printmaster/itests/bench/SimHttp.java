package io.printmaster.itests.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulator's HTTP side: the agents' clients (check-ins and telemetry; long polls on their own client), the
 * administrator's session (cookie and CSRF token), and the request helpers.
 */
final class SimHttp {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    static final Duration WAIT_TIMEOUT = Duration.ofSeconds(75);

    final String base;
    final HttpClient agentHttp;
    final HttpClient waitHttp;
    final HttpClient adminHttp;
    final ExecutorService callbacks = Executors.newFixedThreadPool(3, daemon("sim-http"));
    final ExecutorService blocking = Executors.newFixedThreadPool(4, daemon("sim-blocking"));
    private String csrf;

    SimHttp(String base) {
        this.base = base;
        agentHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(callbacks)
                .connectTimeout(Duration.ofSeconds(10)).build();
        waitHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(callbacks)
                .connectTimeout(Duration.ofSeconds(10)).build();
        adminHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    void login(String password) throws Exception {
        HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"username\":\"admin\",\"password\":" + JSON.writeValueAsString(password) + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("login answered " + r.statusCode() + ": " + r.body());
        }
        csrf = JSON.readTree(r.body()).path("csrf_token").asText();
    }

    String csrf() {
        return csrf;
    }

    HttpRequest post(String path, String credential, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b.build();
    }

    JsonNode adminSend(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").header("X-CSRF-Token", csrf)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    JsonNode adminGet(String path) {
        try {
            HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** {@code printmaster_checkins_total{result="ok"}} from the server's own metrics (the admin session reads them). */
    double serverCheckInCount() {
        try {
            HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .timeout(REQUEST_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith("printmaster_checkins_total{") && line.contains("result=\"ok\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (Exception e) {
            // the metrics bundle is optional for this report
        }
        return -1;
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void close() {
        callbacks.shutdownNow();
        blocking.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
