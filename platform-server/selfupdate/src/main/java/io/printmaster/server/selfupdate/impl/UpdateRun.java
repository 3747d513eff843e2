package io.printmaster.server.selfupdate.impl;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** One row of {@code PM_SERVER_UPDATE_RUN}: a check, and when it found something, the update it made. */
record UpdateRun(long seq, String runId, String fromVersion, String toVersion, String status, String errorCode,
                 String errorMessage, String mode, String triggeredBy, Instant startedAt, Instant updatedAt,
                 Instant finishedAt, String replica, String detail) {

    static final String PENDING = "pending";
    static final String CHECKING = "checking";
    static final String DOWNLOADING = "downloading";
    static final String STAGING = "staging";
    static final String APPLYING = "applying";
    static final String SUCCEEDED = "succeeded";
    static final String FAILED = "failed";
    static final String SKIPPED = "skipped";
    static final String ROLLED_BACK = "rolled_back";

    static final Set<String> FINAL = Set.of(SUCCEEDED, FAILED, SKIPPED, ROLLED_BACK);
    /** The order a run goes through; a final status may follow any of them. */
    static final java.util.List<String> STEPS = java.util.List.of(PENDING, CHECKING, DOWNLOADING, STAGING, APPLYING);

    static final String MODE_HOT_SWAP = "hot-swap";
    static final String MODE_RESTART = "restart";

    boolean isFinal() {
        return FINAL.contains(status);
    }

    /** As the API shows it. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", runId);
        m.put("from_version", fromVersion);
        m.put("to_version", toVersion);
        m.put("status", status);
        m.put("error_code", errorCode);
        m.put("error_message", errorMessage);
        m.put("started_at", startedAt);
        m.put("finished_at", finishedAt);
        m.put("mode", mode);
        m.put("triggered_by", triggeredBy);
        m.put("replica", replica);
        return m;
    }
}
