package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * One run-state transition an agent reports ({@code POST /api/v1/agents/update/telemetry}, alone or in a
 * {@link TelemetryBatch}). Every member but {@code run_id} and {@code status} is absent when null.
 *
 * @param runId          the run (1–64 of {@code [A-Za-z0-9_-]})
 * @param status         {@code idle, checking, pending, downloading, staging, applying, restarting, succeeded,
 *                       failed, skipped, rolled_back, cancelled}, and since 1.3 {@code up_to_date}: a check that
 *                       found nothing to install (terminal, like {@code skipped}; an agent reports every check)
 * @param currentVersion the version the agent runs
 * @param targetVersion  the version the run installs
 * @param errorCode      one of the documented error codes, or absent
 * @param errorMessage   at most 2000 characters
 * @param timestamp      when it happened (ISO-8601 instant); absent: the server's time of receipt
 * @param downloadTimeMs the download's duration
 * @param sizeBytes      the bytes downloaded
 * @param metadata       a JSON object of at most 8 KiB ({@code mode}, {@code component}, …)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TelemetryEvent(
        @JsonProperty("run_id") String runId,
        @JsonProperty("status") String status,
        @JsonProperty("current_version") String currentVersion,
        @JsonProperty("target_version") String targetVersion,
        @JsonProperty("error_code") String errorCode,
        @JsonProperty("error_message") String errorMessage,
        @JsonProperty("timestamp") String timestamp,
        @JsonProperty("download_time_ms") Long downloadTimeMs,
        @JsonProperty("size_bytes") Long sizeBytes,
        @JsonProperty("metadata") Map<String, Object> metadata) {
}
