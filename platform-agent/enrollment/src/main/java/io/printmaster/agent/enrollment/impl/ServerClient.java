package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.wire.CheckInRequest;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.core.wire.PluginVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The two calls the agent makes (docs/api.md): enroll and check in. Plain {@link HttpClient} with timeouts and the
 * TLS trust of the fleet files ({@link ServerTrust}).
 */
final class ServerClient {
    static final String ENROLL = "/api/v1/agents/enroll";
    static final String CHECK_IN = "/api/v1/agents/update/manifest";
    static final String TLS_CERTIFICATES = "/api/v1/agents/tls/certificates";
    /** Writes the wire records (their explicit names) and reads bodies as trees. */
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Answers are small; a larger one is not our server's, and is not read on (the connection is dropped: an endless
     * answer must not run the agent out of memory).
     */
    static final int MAX_ANSWER_BYTES = 1024 * 1024;

    /** The server's answer: its status and its JSON body (a missing or non-JSON body is an empty object). */
    record Answer(int status, JsonNode body) {
        /**
         * The body as a record of the wire contract; empty when it does not have that shape (members a newer server
         * adds are ignored).
         */
        <T> Optional<T> as(Class<T> type) {
            try {
                return Optional.ofNullable(WireReader.read(body, type));
            } catch (IOException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }

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

    /** @param tls the TLS context of calls to the server ({@link FollowingServerTls}); null for the JDK's default */
    ServerClient(URI serverUrl, SSLContext tls, Duration connectTimeout, Duration requestTimeout) {
        this.serverUrl = serverUrl;
        this.requestTimeout = requestTimeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    URI serverUrl() {
        return serverUrl;
    }

    Answer enroll(String joinToken, HostFacts host) throws IOException, InterruptedException {
        return post(ENROLL, new EnrollRequest(joinToken, host.hostname(), host.platform(), host.arch(),
                host.currentVersion()), Optional.empty());
    }

    Answer checkIn(String credential, HostFacts host) throws IOException, InterruptedException {
        return checkIn(credential, host, null);
    }

    /** @param runId the update run this check-in is made for ({@code run_id}); null for a periodic check-in */
    Answer checkIn(String credential, HostFacts host, String runId) throws IOException, InterruptedException {
        return checkIn(credential, host, runId, null);
    }

    /**
     * @param known the etags of the policy and offer the agent holds ({@link HeldAnswerParts}); null when it holds
     *              none (never sent then: a server older than 1.4 refuses the member)
     */
    Answer checkIn(String credential, HostFacts host, String runId, io.printmaster.core.wire.KnownEtags known)
            throws IOException, InterruptedException {
        // plugins only when there are some (CheckInRequest leaves an empty list out): a server older than plugin
        // delivery refuses the member
        List<PluginVersion> plugins = host.plugins().stream()
                .map(p -> new PluginVersion(p.component(), p.version())).toList();
        // trust_version only once there is one to report: a server older than trust statements refuses the member
        return post(CHECK_IN, new CheckInRequest(host.currentVersion(), host.platform(), host.arch(), host.hostname(),
                host.nextCheckAt() == null ? null : host.nextCheckAt().toString(), plugins,
                host.trustVersion() > 0 ? host.trustVersion() : null, runId, known), Optional.of(credential));
    }

    /** The certificates a pinned server announces, and the certificate it presented on that connection. */
    record Announcement(Answer answer, Optional<java.security.cert.X509Certificate> presented) {
    }

    /** {@code GET /api/v1/agents/tls/certificates} with the agent's credential ({@link LearnedPins}). */
    Announcement tlsCertificates(String credential) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(serverUrl + TLS_CERTIFICATES)).timeout(requestTimeout)
                .header("Accept", "application/json").header("Authorization", "Bearer " + credential).GET().build();
        HttpResponse<byte[]> resp = http.send(req, BoundedAnswer.handler(MAX_ANSWER_BYTES, requestTimeout));
        Optional<java.security.cert.X509Certificate> presented = resp.sslSession().flatMap(s -> {
            try {
                java.security.cert.Certificate[] chain = s.getPeerCertificates();
                return chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x
                        ? Optional.of(x) : Optional.empty();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                return Optional.empty();
            }
        });
        return new Announcement(new Answer(resp.statusCode(), parse(resp.body())), presented);
    }

    private Answer post(String path, Object body, Optional<String> bearer) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(serverUrl + path)).timeout(requestTimeout)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        bearer.ifPresent(c -> req.header("Authorization", "Bearer " + c));
        // the request timeout ends with the headers: the body has its own deadline of the same length
        HttpResponse<byte[]> resp = http.send(req.build(), BoundedAnswer.handler(MAX_ANSWER_BYTES, requestTimeout));
        byte[] bytes = resp.body();
        return new Answer(resp.statusCode(), parse(bytes));
    }

    private static JsonNode parse(byte[] bytes) {
        JsonNode json = JSON.createObjectNode();
        if (bytes != null && bytes.length > 0) {
            try {
                JsonNode parsed = JSON.readTree(bytes);
                if (parsed != null) {
                    json = parsed;
                }
            } catch (IOException e) {
                // not JSON (a proxy's error page): the status alone tells what happened
            }
        }
        return json;
    }
}
