package io.printmaster.agent.update.api;

import java.time.Instant;
import java.util.Objects;

/**
 * How a finished update run ended.
 *
 * @param runId the run's id, as sent in telemetry
 * @param state the final state: {@code succeeded}, {@code failed}, {@code skipped}, {@code rolled_back} or
 *     {@code cancelled}
 * @param targetVersion the version the run tried to reach, null when the check found nothing to do
 * @param errorCode one of PrintMaster's error codes ({@code DOWNLOAD_FAILED}, {@code OUTSIDE_WINDOW}, …), null on success
 * @param errorMessage a sentence for the operator, null on success
 * @param finishedAt when the run ended
 */
public record RunResult(String runId, RunState state, String targetVersion, String errorCode, String errorMessage,
                        Instant finishedAt) {
    public RunResult {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(finishedAt, "finishedAt");
    }
}
