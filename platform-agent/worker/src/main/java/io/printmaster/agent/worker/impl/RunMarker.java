package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Objects;

/**
 * The update in progress, kept in {@code <data>/update/run.json} from the first byte downloaded until the run is
 * finished and reported, so that a crash or kill at any step is picked up at the next start: a run cut short before
 * the restart is resumed, a trial that never confirmed is reported as rolled back (the trampoline already booted the
 * old version), and a trial that did confirm is finished. Written atomically (temp file + rename).
 *
 * @param runId the run, as in telemetry
 * @param fromVersion the version that was running when the run began
 * @param toVersion the version being installed
 * @param phase how far the run got
 * @param forced whether the run ignores the window (a forced run resumes as forced)
 * @param startedAt when the run began
 * @param errorCode set by a trial that failed its health check, for the old version to report
 * @param errorMessage the failing check, for the operator
 * @param releaseCounter the signed manifest's {@code release_counter}, recorded as installed when the trial commits
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RunMarker(String runId, String fromVersion, String toVersion, Phase phase, boolean forced, Instant startedAt,
                 String errorCode, String errorMessage, long releaseCounter) {

    /** How far a run got; the wire names are lower case in the file. */
    enum Phase {
        /** Downloading (or verifying) the artifact; the running version is untouched. */
        downloading,
        /** Extracting into {@code versions/.staging-<v>}; the running version is untouched. */
        staging,
        /** The slot is complete; the trial pointer is being written and the restart asked for. */
        restarting,
        /** The trial failed its health check and asked to go back; the old version reports the result. */
        rolling_back
    }

    RunMarker {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(toVersion, "toVersion");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(startedAt, "startedAt");
    }

    RunMarker at(Phase next) {
        return new RunMarker(runId, fromVersion, toVersion, next, forced, startedAt, errorCode, errorMessage,
                releaseCounter);
    }

    RunMarker failing(String code, String message) {
        return new RunMarker(runId, fromVersion, toVersion, Phase.rolling_back, forced, startedAt, code, message,
                releaseCounter);
    }
}
