package io.printmaster.itests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A hostile stand-in between a real agent and the real server, on loopback: it forwards every request as it is and
 * every answer as it came, except that a test may rewrite the check-in answers ({@code POST
 * /api/v1/agents/update/manifest}) on their way to the agent: replay an old offer, drop trust statements. It also
 * keeps the last check-in answer, so a test can take an offer the server made earlier. The agent is pointed at it by
 * the {@code server_url} of its {@code etc/fleet.json}.
 */
final class CheckInStandIn implements AutoCloseable {
    static final String CHECK_IN = "/api/v1/agents/update/manifest";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers the JDK client sets itself (or refuses), and hop-by-hop ones. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection");

    private final URI server;
    private final HttpServer http;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final AtomicReference<UnaryOperator<ObjectNode>> rewrite = new AtomicReference<>(UnaryOperator.identity());
    private final AtomicReference<JsonNode> lastAnswer = new AtomicReference<>();
    private final AtomicReference<JsonNode> lastOffer = new AtomicReference<>();

    CheckInStandIn(URI server) throws IOException {
        this.server = server;
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", this::forward);
        http.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "check-in-stand-in");
            t.setDaemon(true); // never what keeps the test JVM alive
            return t;
        }));
        http.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** Rewrites every check-in answer from now on (identity to stop). */
    void rewriteCheckIns(UnaryOperator<ObjectNode> change) {
        rewrite.set(change);
    }

    /** The last check-in answer the server gave (before any rewrite). */
    JsonNode lastServerAnswer() {
        return lastAnswer.get();
    }

    /**
     * The {@code update} of the last check-in answer that offered one (before any rewrite); a missing node when none
     * did. Under a rollout only an update run's check-in is offered the release, and a periodic check-in after it
     * answers without one, so the last answer alone may not show the offer.
     */
    JsonNode lastServerOffer() {
        JsonNode offer = lastOffer.get();
        return offer == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : offer;
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(server + ex.getRequestURI().toString()))
                    .timeout(Duration.ofMinutes(2))
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
                if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
                    h.getValue().forEach(v -> req.header(h.getKey(), v));
                }
            }
            HttpResponse<byte[]> resp;
            try {
                resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
                return;
            }
            byte[] out = resp.body();
            if ("POST".equals(method) && CHECK_IN.equals(ex.getRequestURI().getPath()) && resp.statusCode() == 200) {
                JsonNode answer = JSON.readTree(out);
                lastAnswer.set(answer.deepCopy());
                if (answer.path("update").isObject()) {
                    lastOffer.set(answer.path("update").deepCopy());
                }
                out = JSON.writeValueAsBytes(rewrite.get().apply((ObjectNode) answer));
            }
            resp.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(v -> ex.getResponseHeaders().add(name, v));
                }
            });
            boolean noBody = "HEAD".equals(method) || resp.statusCode() == 204 || resp.statusCode() == 304;
            ex.sendResponseHeaders(resp.statusCode(), noBody || out.length == 0 ? -1 : out.length);
            if (!noBody && out.length > 0) {
                ex.getResponseBody().write(out);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
    }
}
