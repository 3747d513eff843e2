package io.printmaster.itests.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.CheckInRequest;
import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.core.wire.TelemetryBatch;
import io.printmaster.core.wire.TelemetryEvent;
import io.printmaster.core.wire.TelemetryReceipt;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The agent side of the server protocol, over real HTTP, in the typed records of the wire contract
 * ({@code io.printmaster.core.wire}) exactly as the agent's enrollment bundle sends and reads them: enrollment,
 * check-in, telemetry. One HTTP/1.1 client with keep-alive for the whole fleet, so hundreds of agents share a few
 * pooled connections instead of opening one each.
 */
public final class AgentWire {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Duration TIMEOUT = Duration.ofSeconds(30); // as the agent's own request timeout

    private final String base;
    private final HttpClient http;

    /**
     * A client of {@code base} ({@code http://127.0.0.1:8080}). Its I/O runs on the client's own threads, not on the
     * callers' pool: a pool whose every thread blocks in {@code send} must not be the one the answers need.
     */
    public AgentWire(String base) {
        this.base = base;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A status other than the one expected, with the server's error body. */
    public static final class WireException extends IOException {
        private final int status;

        WireException(String what, int status, String body) {
            super(what + " answered " + status + ": " + body);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** {@code POST /api/v1/agents/enroll}: a join token for a credential (201). */
    public EnrollAnswer enroll(EnrollRequest request) throws IOException, InterruptedException {
        return JSON.readValue(post("/api/v1/agents/enroll", null, request, 201, "enroll"), EnrollAnswer.class);
    }

    /** {@code POST /api/v1/agents/update/manifest}: a check-in with the agent's credential (200). */
    public CheckInAnswer checkIn(String credential, CheckInRequest request) throws IOException, InterruptedException {
        return JSON.readValue(post("/api/v1/agents/update/manifest", credential, request, 200, "check-in"),
                CheckInAnswer.class);
    }

    /** {@code POST /api/v1/agents/update/telemetry}: one transition (200). */
    public TelemetryReceipt telemetry(String credential, TelemetryEvent event) throws IOException, InterruptedException {
        return JSON.readValue(post("/api/v1/agents/update/telemetry", credential, event, 200, "telemetry"),
                TelemetryReceipt.class);
    }

    /** {@code POST /api/v1/agents/update/telemetry}: several transitions at once (200). */
    public TelemetryReceipt telemetry(String credential, List<TelemetryEvent> events)
            throws IOException, InterruptedException {
        return JSON.readValue(post("/api/v1/agents/update/telemetry", credential, new TelemetryBatch(events), 200,
                "telemetry"), TelemetryReceipt.class);
    }

    private String post(String path, String credential, Object body, int expected, String what)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new WireException(what, r.statusCode(), r.body());
        }
        return r.body();
    }
}
