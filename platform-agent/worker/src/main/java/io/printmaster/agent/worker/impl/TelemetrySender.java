package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.TelemetryBatch;
import io.printmaster.core.wire.TelemetryEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.core.policy.UpdatePolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the worker's transitions to {@code POST /api/v1/agents/update/telemetry} (the wire contract's TelemetryEvent, docs/api.md). A
 * transition that cannot be sent now (server away, agent not enrolled) waits in a bounded queue and goes with the
 * next one, in order; the oldest are dropped first when the queue is full. The final result of a run that spans a
 * restart is re-derived from the run marker after the restart, so a crash loses no outcome.
 *
 * <p>When the policy in force says {@code collect_telemetry: false}, each transition still goes (its run, state,
 * versions and error: the console and the server's per-agent status are made of them), without its measurements:
 * no {@code download_time_ms}, no {@code size_bytes}, and of {@code metadata} only what names the run's kind
 * ({@link #IDENTIFYING_METADATA}).
 */
final class TelemetrySender {
    private static final Logger LOG = LoggerFactory.getLogger(TelemetrySender.class);
    static final String PATH = "/api/v1/agents/update/telemetry";
    private static final int MAX_QUEUED = 200;
    /** The server takes at most this many transitions per request. */
    private static final int MAX_BATCH = 100;
    /** The status of a check that found nothing to install (wire 1.3). */
    static final String UP_TO_DATE = "up_to_date";

    /**
     * The metadata a transition keeps without telemetry: what kind of run it is (a hot swap, a plugin's), which the
     * server needs to file it (a plugin run does not change the agent's own status).
     */
    static final Set<String> IDENTIFYING_METADATA = Set.of("mode", "component", "from_version");

    /** One transition, as the worker records it; sent as the wire contract's {@link TelemetryEvent}. */
    record Event(String runId, String status, String currentVersion, String targetVersion, String errorCode,
                 String errorMessage, Instant timestamp, Long downloadTimeMs, Long sizeBytes,
                 Map<String, Object> metadata) {

        /** The transition as the telemetry route takes it. */
        TelemetryEvent toWire() {
            return new TelemetryEvent(runId, status, currentVersion, targetVersion, errorCode, errorMessage,
                    timestamp == null ? null : timestamp.toString(), downloadTimeMs, sizeBytes, metadata);
        }

        /** The same transition without its measurements. */
        Event withoutMeasurements() {
            Map<String, Object> kept = new LinkedHashMap<>();
            if (metadata != null) {
                metadata.forEach((k, v) -> {
                    if (IDENTIFYING_METADATA.contains(k)) {
                        kept.put(k, v);
                    }
                });
            }
            return new Event(runId, status, currentVersion, targetVersion, errorCode, errorMessage, timestamp, null,
                    null, kept.isEmpty() ? null : kept);
        }
    }

    private final Enrollment enrollment;
    private final HttpClient http;
    private final BooleanSupplier collectTelemetry;
    private final Deque<Event> queue = new ArrayDeque<>();
    /** Whether the info that the server refuses {@code up_to_date} was logged (once per worker). */
    private boolean toldUpToDateRefused;

    /** @param collectTelemetry the {@code collect_telemetry} of the policy in force, asked at each transition */
    TelemetrySender(Enrollment enrollment, HttpClient http, BooleanSupplier collectTelemetry) {
        this.enrollment = enrollment;
        this.http = http;
        this.collectTelemetry = collectTelemetry;
    }

    /**
     * The {@code collect_telemetry} of the policy in force; false when none is (updates disabled, or no usable local
     * policy): nothing was agreed, so no measurements.
     */
    static BooleanSupplier policyAllows(Supplier<AgentSettings> settings) {
        return () -> settings.get().policy().map(UpdatePolicy::collectTelemetry).orElse(false);
    }

    /** Queues {@code event} (without measurements when telemetry is off) and sends what is queued; never throws. */
    synchronized void send(Event event) {
        if (!measurementsAllowed()) {
            event = event.withoutMeasurements();
        }
        if (event.errorMessage() != null && event.errorMessage().length() > 2000) {
            event = new Event(event.runId(), event.status(), event.currentVersion(), event.targetVersion(),
                    event.errorCode(), event.errorMessage().substring(0, 2000), event.timestamp(),
                    event.downloadTimeMs(), event.sizeBytes(), event.metadata());
        }
        queue.addLast(event);
        while (queue.size() > MAX_QUEUED) {
            queue.removeFirst();
        }
        flush();
    }

    private boolean measurementsAllowed() {
        try {
            return collectTelemetry.getAsBoolean();
        } catch (RuntimeException e) {
            LOG.warn("cannot read collect_telemetry ({}); sending this transition without measurements", e.toString());
            return false;
        }
    }

    /** Sends what is queued; true when nothing is left. */
    synchronized boolean flush() {
        Optional<EnrolledAgent> agent = enrollment.current();
        Optional<String> credential = enrollment.credential();
        if (agent.isEmpty() || credential.isEmpty()) {
            return queue.isEmpty();
        }
        while (!queue.isEmpty()) {
            List<Event> batch = nextBatch();
            try {
                byte[] body = WorkerFiles.JSON.writeValueAsBytes(
                        new TelemetryBatch(batch.stream().map(Event::toWire).toList()));
                HttpRequest req = HttpRequest.newBuilder(URI.create(agent.get().serverUrl() + PATH))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + credential.get())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() / 100 == 2) {
                    batch.forEach(e -> queue.removeFirst());
                    continue;
                }
                if (resp.statusCode() == 400 && isUpToDate(batch.get(0))) {
                    // a server older than wire 1.3 does not know the status: this report is lost, not the queue
                    if (!toldUpToDateRefused) {
                        toldUpToDateRefused = true;
                        LOG.info("the server does not take the telemetry status {} ({}); it is older than this agent, "
                                + "so checks that find nothing to install are not reported to it", UP_TO_DATE,
                                errorOf(resp.body()));
                    }
                    queue.removeFirst();
                    continue;
                }
                if (resp.statusCode() == 400) {
                    // the server will never take these: drop them rather than block every later report
                    LOG.error("the server refused telemetry: {}; dropping {} transition(s)", errorOf(resp.body()),
                            batch.size());
                    batch.forEach(e -> queue.removeFirst());
                    continue;
                }
                LOG.warn("telemetry not accepted now (HTTP {}); {} transition(s) wait for the next report",
                        resp.statusCode(), queue.size());
                return false;
            } catch (IOException e) {
                LOG.warn("cannot send telemetry ({}); {} transition(s) wait for the next report", e.toString(),
                        queue.size());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * The queued transitions that go in one request: a {@code up_to_date} goes alone, so that a server older than
     * wire 1.3, which refuses the status with 400 and stores nothing of that request, refuses only it.
     */
    private List<Event> nextBatch() {
        List<Event> batch = new ArrayList<>();
        for (Event e : queue) {
            if (batch.size() == MAX_BATCH || isUpToDate(e) && !batch.isEmpty()) {
                break;
            }
            batch.add(e);
            if (isUpToDate(e)) {
                break;
            }
        }
        return batch;
    }

    private static boolean isUpToDate(Event e) {
        return UP_TO_DATE.equals(e.status());
    }

    private static String errorOf(String body) {
        try {
            JsonNode n = WorkerFiles.JSON.readTree(body);
            return n.path("error").path("message").asText(body);
        } catch (IOException e) {
            return body;
        }
    }
}
