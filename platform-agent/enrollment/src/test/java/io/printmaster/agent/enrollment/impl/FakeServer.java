package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A test double of the update server's enrollment and check-in endpoints (docs/api.md), on 127.0.0.1: it
 * plays a remote service the agent talks to over real HTTP.
 */
final class FakeServer implements AutoCloseable {
    static final String POLICY = "{\"update_check_days\":7,\"version_pin_strategy\":\"minor\",\"allow_major_upgrade\":false,"
            + "\"target_version\":null,\"collect_telemetry\":true,\"maintenance_window\":{\"enabled\":false,\"start_hour\":2,"
            + "\"start_min\":0,\"end_hour\":4,\"end_min\":0,\"timezone\":\"UTC\",\"days_of_week\":[0,1,2,3,4,5,6]},"
            + "\"rollout_control\":{\"staggered\":false,\"max_concurrent\":10,\"batch_size\":50,\"delay_between_waves\":1800,"
            + "\"jitter_seconds\":300,\"emergency_abort\":false},"
            // a field a newer server adds: it must not make the agent discard its fleet's policy
            + "\"a_field_of_a_newer_server\":true}";
    private static final ObjectMapper JSON = new ObjectMapper();

    final Set<String> validTokens = ConcurrentHashMap.newKeySet();
    final Set<String> acceptedCredentials = ConcurrentHashMap.newKeySet();
    final AtomicInteger enrolls = new AtomicInteger();
    final AtomicInteger checkIns = new AtomicInteger();
    final List<JsonNode> enrollBodies = new CopyOnWriteArrayList<>();
    final List<String> checkInAuthorizations = new CopyOnWriteArrayList<>();
    final List<JsonNode> checkInBodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();
    private final HttpServer server;

    private FakeServer(HttpServer server) {
        this.server = server;
        server.createContext("/api/v1/agents/enroll", this::enroll);
        server.createContext("/api/v1/agents/update/manifest", this::checkIn);
        server.createContext("/api/v1/agents/tls/certificates", this::tlsCertificates);
        server.start();
    }

    static FakeServer http(int port) throws IOException {
        return new FakeServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0));
    }

    static FakeServer https(int port, SSLContext tls) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        return new FakeServer(s);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void enroll(HttpExchange ex) throws IOException {
        enrolls.incrementAndGet();
        JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
        enrollBodies.add(body);
        String token = body.path("join_token").asText("");
        if (!validTokens.contains(token)) {
            send(ex, 401, "{\"error\":{\"code\":\"invalid_join_token\",\"message\":\"the join token is unknown, "
                    + "revoked, expired or used up\",\"field\":\"join_token\"}}");
            return;
        }
        int n = issued.incrementAndGet();
        String credential = "pma_secretcredential" + n;
        acceptedCredentials.add(credential);
        send(ex, 201, "{\"agent_id\":\"agent-" + n + "\",\"credential\":\"" + credential + "\",\"fleet_id\":\"fleet-a\"}");
    }

    private void checkIn(HttpExchange ex) throws IOException {
        checkIns.incrementAndGet();
        checkInBodies.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        checkInAuthorizations.add(String.valueOf(auth));
        if (auth == null || !auth.startsWith("Bearer ") || !acceptedCredentials.contains(auth.substring(7))) {
            send(ex, 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown credential\"}}");
            return;
        }
        send(ex, 200, "{\"agent_id\":\"agent-x\",\"fleet_id\":\"fleet-a\",\"update_available\":false,\"policy\":"
                + POLICY + ",\"policy_source\":\"fleet\"}");
    }

    /** The PEM the server announces to pinned agents; null: the route answers 404, as a server without TLS does. */
    volatile String announced;
    final AtomicInteger announcements = new AtomicInteger();

    private void tlsCertificates(HttpExchange ex) throws IOException {
        announcements.incrementAndGet();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !acceptedCredentials.contains(auth.substring(7))) {
            send(ex, 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown credential\"}}");
            return;
        }
        String pem = announced;
        if (pem == null) {
            send(ex, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no TLS\"}}");
            return;
        }
        send(ex, 200, JSON.writeValueAsString(java.util.Map.of("certificates_pem", pem)));
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
