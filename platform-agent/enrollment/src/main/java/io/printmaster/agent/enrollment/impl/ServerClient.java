package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;

/**
 * The two calls of contract C the agent makes: enroll and check in. Plain {@link HttpClient} with timeouts; the
 * CA bundle, when there is one, is trusted besides the system's trust store.
 */
final class ServerClient {
    static final String ENROLL = "/api/v1/agents/enroll";
    static final String CHECK_IN = "/api/v1/agents/update/manifest";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Answers are small; a larger one is not our server's. */
    private static final int MAX_ANSWER_BYTES = 1024 * 1024;

    /** The server's answer: its status and its JSON body (a missing or non-JSON body is an empty object). */
    record Answer(int status, JsonNode body) {
        /** {@code error.code} of an error answer, or empty. */
        Optional<String> errorCode() {
            return Optional.ofNullable(body.path("error").path("code").asText(null));
        }

        /** {@code error.message} of an error answer, or a description of the status. */
        String errorMessage() {
            String m = body.path("error").path("message").asText(null);
            return m != null ? m : "HTTP " + status;
        }
    }

    private final URI serverUrl;
    private final HttpClient http;
    private final Duration requestTimeout;

    ServerClient(URI serverUrl, Optional<Path> caBundle, Duration connectTimeout, Duration requestTimeout)
            throws IOException, GeneralSecurityException {
        this.serverUrl = serverUrl;
        this.requestTimeout = requestTimeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (caBundle.isPresent()) {
            b.sslContext(ServerTrust.context(caBundle.get()));
        }
        this.http = b.build();
    }

    URI serverUrl() {
        return serverUrl;
    }

    Answer enroll(String joinToken, HostFacts host) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("join_token", joinToken);
        body.put("hostname", host.hostname());
        body.put("platform", host.platform());
        body.put("arch", host.arch());
        body.put("current_version", host.currentVersion());
        return post(ENROLL, body, Optional.empty());
    }

    Answer checkIn(String credential, HostFacts host) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("current_version", host.currentVersion());
        body.put("platform", host.platform());
        body.put("arch", host.arch());
        body.put("hostname", host.hostname());
        if (!host.plugins().isEmpty()) { // only then: a server older than plugin delivery refuses the field
            var plugins = body.putArray("plugins");
            host.plugins().forEach(p -> plugins.addObject().put("component", p.component()).put("version", p.version()));
        }
        return post(CHECK_IN, body, Optional.of(credential));
    }

    private Answer post(String path, ObjectNode body, Optional<String> bearer) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(serverUrl + path)).timeout(requestTimeout)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        bearer.ifPresent(c -> req.header("Authorization", "Bearer " + c));
        HttpResponse<byte[]> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        byte[] bytes = resp.body();
        JsonNode json = JSON.createObjectNode();
        if (bytes != null && bytes.length > 0 && bytes.length <= MAX_ANSWER_BYTES) {
            try {
                JsonNode parsed = JSON.readTree(bytes);
                if (parsed != null) {
                    json = parsed;
                }
            } catch (IOException e) {
                // not JSON (a proxy's error page): the status alone tells what happened
            }
        }
        return new Answer(resp.statusCode(), json);
    }
}
