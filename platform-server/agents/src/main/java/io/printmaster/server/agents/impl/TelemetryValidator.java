package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks telemetry as agents send it: each problem is a 400 naming its field ({@code events[3].status} in a batch),
 * and a batch with one bad event stores nothing.
 */
final class TelemetryValidator {
    static final int MAX_BATCH = 100;
    static final int MAX_ERROR_MESSAGE = 2000;
    static final int MAX_METADATA_BYTES = 8 * 1024;
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Timestamps the database holds; anything else is a client bug, not a date. */
    private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");
    private static final ObjectMapper COMPACT = new ObjectMapper();

    /** One transition as the wire carries it (the names of docs/api.md); {@code agent_id} may only repeat the caller's. */
    public record Event(String agentId, String runId, String status, String currentVersion, String targetVersion,
                        String errorCode, String errorMessage, String timestamp, Long downloadTimeMs, Long sizeBytes,
                        JsonNode metadata) {
    }

    /** The body of {@code POST /api/v1/agents/update/telemetry}: one transition, or {@code events} (a batch). */
    public record Body(String agentId, String runId, String status, String currentVersion, String targetVersion,
                       String errorCode, String errorMessage, String timestamp, Long downloadTimeMs, Long sizeBytes,
                       JsonNode metadata, List<Event> events) {
        Event single() {
            return new Event(agentId, runId, status, currentVersion, targetVersion, errorCode, errorMessage, timestamp,
                    downloadTimeMs, sizeBytes, metadata);
        }

        /** The first single-event field set next to {@code events}, or null. */
        String singleFieldBesideEvents() {
            Object[] values = {agentId, runId, status, currentVersion, targetVersion, errorCode, errorMessage, timestamp,
                    downloadTimeMs, sizeBytes, metadata};
            String[] names = {"agent_id", "run_id", "status", "current_version", "target_version", "error_code",
                    "error_message", "timestamp", "download_time_ms", "size_bytes", "metadata"};
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) {
                    return names[i];
                }
            }
            return null;
        }
    }

    private TelemetryValidator() {
    }

    /**
     * The events of a body, validated, in the order sent.
     *
     * @param agentId the caller's agent id (from its credential)
     * @param now     the time of receipt, standing in for a missing {@code timestamp}
     */
    static List<TelemetryEvent> validate(Body body, String agentId, Instant now) throws ApiException {
        if (body.events() == null) {
            return List.of(validate(body.single(), "", agentId, now));
        }
        String mixed = body.singleFieldBesideEvents();
        if (mixed != null) {
            throw ApiException.invalid(mixed, "send either one transition or \"events\", not both: '" + mixed
                    + "' is set beside \"events\"");
        }
        if (body.events().isEmpty() || body.events().size() > MAX_BATCH) {
            throw ApiException.invalid("events", "events must hold 1-" + MAX_BATCH + " transitions; got "
                    + body.events().size());
        }
        List<TelemetryEvent> out = new ArrayList<>();
        for (int i = 0; i < body.events().size(); i++) {
            String prefix = "events[" + i + "].";
            Event e = body.events().get(i);
            if (e == null) {
                throw ApiException.invalid("events[" + i + "]", "events[" + i + "] must be an object, not null");
            }
            out.add(validate(e, prefix, agentId, now));
        }
        return out;
    }

    private static TelemetryEvent validate(Event e, String prefix, String agentId, Instant now) throws ApiException {
        if (e.agentId() != null && !e.agentId().equals(agentId)) {
            throw ApiException.invalid(prefix + "agent_id", "agent_id, when sent, must be the caller's own id ("
                    + agentId + "): an agent reports only for itself");
        }
        if (e.runId() == null || !RUN_ID.matcher(e.runId()).matches()) {
            throw ApiException.invalid(prefix + "run_id", "run_id is required: 1-64 letters, digits, '_' or '-'");
        }
        if (e.status() == null || !TelemetryEvent.STATUSES.contains(e.status())) {
            throw ApiException.invalid(prefix + "status", "status must be one of "
                    + String.join(", ", TelemetryEvent.STATUSES) + "; got '" + e.status() + "'");
        }
        version(e.currentVersion(), prefix + "current_version");
        version(e.targetVersion(), prefix + "target_version");
        if (e.errorCode() != null && !TelemetryEvent.ERROR_CODES.contains(e.errorCode())) {
            throw ApiException.invalid(prefix + "error_code", "error_code must be null or one of "
                    + String.join(", ", TelemetryEvent.ERROR_CODES) + "; got '" + e.errorCode() + "'");
        }
        if (e.errorMessage() != null && e.errorMessage().length() > MAX_ERROR_MESSAGE) {
            throw ApiException.invalid(prefix + "error_message", "error_message must be at most " + MAX_ERROR_MESSAGE
                    + " characters; got " + e.errorMessage().length());
        }
        Instant at = e.timestamp() == null ? now : instant(e.timestamp(), prefix + "timestamp");
        nonNegative(e.downloadTimeMs(), prefix + "download_time_ms");
        nonNegative(e.sizeBytes(), prefix + "size_bytes");
        String metadata = null;
        if (e.metadata() != null && !e.metadata().isNull()) {
            if (!e.metadata().isObject()) {
                throw ApiException.invalid(prefix + "metadata", "metadata must be a JSON object (or null)");
            }
            try {
                metadata = COMPACT.writeValueAsString(e.metadata());
            } catch (JsonProcessingException ex) {
                throw ApiException.invalid(prefix + "metadata", "metadata cannot be written as JSON");
            }
            int size = metadata.getBytes(StandardCharsets.UTF_8).length;
            if (size > MAX_METADATA_BYTES) {
                throw ApiException.invalid(prefix + "metadata", "metadata must be at most " + MAX_METADATA_BYTES
                        + " bytes as compact JSON; got " + size);
            }
        }
        boolean pluginRun = e.metadata() != null && "plugin".equals(e.metadata().path("mode").asText(null));
        return new TelemetryEvent(e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(),
                e.errorMessage(), at, e.downloadTimeMs(), e.sizeBytes(), metadata, pluginRun);
    }

    /**
     * An ISO-8601 instant ({@code 2026-11-26T12:00:00Z}) the database can hold.
     *
     * @throws ApiException 400 naming {@code field} otherwise
     */
    /** A check-in's {@code run_id}: the same form as telemetry's. */
    static String runId(String runId) throws ApiException {
        if (!RUN_ID.matcher(runId).matches()) {
            throw ApiException.invalid("run_id", "run_id, when sent, must be 1-64 letters, digits, '_' or '-'");
        }
        return runId;
    }

    static Instant instant(String text, String field) throws ApiException {
        try {
            Instant at = Instant.parse(text.strip());
            if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
                throw ApiException.invalid(field, field + " must be between 1970 and 9999; got '" + text + "'");
            }
            return at;
        } catch (DateTimeParseException ex) {
            throw ApiException.invalid(field, field + " must be an ISO-8601 instant such as 2026-11-26T12:00:00Z; got '"
                    + text + "'");
        }
    }

    private static void version(String v, String field) throws ApiException {
        if (v != null && !AgentFactsValidator.VERSION.matcher(v).matches()) {
            throw ApiException.invalid(field, field + " must be a version such as 1.4.2 (letters, digits, . + _ -, at most 64)");
        }
    }

    private static void nonNegative(Long n, String field) throws ApiException {
        if (n != null && n < 0) {
            throw ApiException.invalid(field, field + " must not be negative; got " + n);
        }
    }
}
