package io.printmaster.server.agents.impl;

import java.time.Instant;
import java.util.List;

/**
 * One run-state transition an agent reported, validated ({@link TelemetryValidator}); what is stored.
 *
 * @param reportedAt  when the agent says it happened ({@code timestamp}; the time of receipt when it did not say)
 * @param metadataJson the {@code metadata} object as compact JSON, or null
 * @param pluginRun whether the transition is a vendor plugin's run ({@code metadata.mode = "plugin"}), not the
 *     agent's: stored, but the agent's summary (its status and target version) follows the agent's own runs only
 */
record TelemetryEvent(String runId, String status, String currentVersion, String targetVersion, String errorCode,
                      String errorMessage, Instant reportedAt, Long downloadTimeMs, Long sizeBytes, String metadataJson,
                      boolean pluginRun) {
    /** Agent run states (docs/api.md, the telemetry route). */
    static final List<String> STATUSES = List.of("idle", "checking", "pending", "downloading", "staging", "applying",
            "restarting", "succeeded", "failed", "skipped", "rolled_back", "cancelled", "up_to_date");
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** A check that found nothing to install: moves the agent's summary, stores no transition row. */
    static final String UP_TO_DATE = "up_to_date";
    /** The states that end a run: they become the agent's {@code last_result}. */
    static final List<String> TERMINAL = List.of("succeeded", "failed", "skipped", "rolled_back", "cancelled",
            UP_TO_DATE);
    /** Error codes (docs/api.md, the telemetry route). */
    static final List<String> ERROR_CODES = List.of("DISK_SPACE", "DOWNLOAD_FAILED", "HASH_MISMATCH", "STAGING_FAILED",
            "APPLY_FAILED", "RESTART_FAILED", "HEALTH_CHECK", "ROLLBACK_FAILED", "MANIFEST_ERROR", "POLICY_DISABLED",
            "OUTSIDE_WINDOW", "SERVER_ERROR", "ROLLOUT_ABORTED");

    boolean terminal() {
        return TERMINAL.contains(status);
    }

    /** Whether the transition is kept as a row of {@code PM_AGENT_TELEMETRY} (every one but a check's "up to date"). */
    boolean stored() {
        return !UP_TO_DATE.equals(status);
    }

    /**
     * The component the run updated: a plugin run's {@code metadata.component}, else {@code agent}. Read from the
     * compact JSON the validator wrote.
     */
    String component() {
        if (pluginRun && metadataJson != null) {
            try {
                String c = JSON.readTree(metadataJson).path("component")
                        .asText("");
                if (!c.isEmpty() && c.length() <= 64) {
                    return c;
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return CheckInAnswers.COMPONENT;
            }
        }
        return CheckInAnswers.COMPONENT;
    }
}
