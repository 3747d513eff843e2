package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
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
 * @param frameworkUuid hot swap only: the framework instance (process) that swaps; another process finding the marker
 *     knows the swap was cut short, the same process knows it is still running
 * @param outcome hot swap only ({@link Phase#swapped}): the run's final state ({@code succeeded}, {@code rolled_back},
 *     {@code failed}), waiting to be reported
 * @param metadata hot swap only: what the report carries ({@code mode}, {@code bundles_changed},
 *     {@code bytes_downloaded}, …)
 * @param plugin a vendor plugin's replacement only: the plugin's file and its backup, to put back after a crash
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RunMarker(String runId, String fromVersion, String toVersion, Phase phase, boolean forced, Instant startedAt,
                 String errorCode, String errorMessage, long releaseCounter, String frameworkUuid, String outcome,
                 Map<String, Object> metadata, PluginFiles plugin) {

    /**
     * A plugin being replaced: its component, its file in the plugins folder, the backup of its current jar, and the
     * SHA-256 of that jar (a backup is only put back when it holds those bytes).
     */
    record PluginFiles(String component, String file, String backup, String backupSha256) {
    }

    /** How far a run got; the wire names are lower case in the file. */
    enum Phase {
        /** Downloading (or verifying) the artifact; the running version is untouched. */
        downloading,
        /** Extracting into {@code versions/.staging-<v>}; the running version is untouched. */
        staging,
        /** The slot is complete; the trial pointer is being written and the restart asked for. */
        restarting,
        /** The trial failed its health check and asked to go back; the old version reports the result. */
        rolling_back,
        /**
         * Hot swap: the bundles are being replaced inside the running process ({@code frameworkUuid}). Nothing is
         * committed: a process started after a crash runs {@code current}, the complete old set.
         */
        swapping,
        /** Hot swap: it ended ({@code outcome}), {@code current} says what runs; the report is still to be sent. */
        swapped
    }

    RunMarker {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(toVersion, "toVersion");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(startedAt, "startedAt");
    }

    RunMarker(String runId, String fromVersion, String toVersion, Phase phase, boolean forced, Instant startedAt,
              String errorCode, String errorMessage, long releaseCounter) {
        this(runId, fromVersion, toVersion, phase, forced, startedAt, errorCode, errorMessage, releaseCounter, null, null,
                null, null);
    }

    RunMarker at(Phase next) {
        return new RunMarker(runId, fromVersion, toVersion, next, forced, startedAt, errorCode, errorMessage,
                releaseCounter, frameworkUuid, outcome, metadata, plugin);
    }

    RunMarker failing(String code, String message) {
        return new RunMarker(runId, fromVersion, toVersion, Phase.rolling_back, forced, startedAt, code, message,
                releaseCounter, frameworkUuid, outcome, metadata, plugin);
    }

    /** The same run, replacing a vendor plugin. */
    RunMarker forPlugin(PluginFiles files) {
        return new RunMarker(runId, fromVersion, toVersion, phase, forced, startedAt, errorCode, errorMessage,
                releaseCounter, frameworkUuid, outcome, metadata, files);
    }

    /** The hot swap of this run begins in the framework {@code uuid}. */
    RunMarker swapping(String uuid, Map<String, Object> meta) {
        return new RunMarker(runId, fromVersion, toVersion, Phase.swapping, forced, startedAt, null, null,
                releaseCounter, uuid, null, meta, plugin);
    }

    /** The hot swap of this run ended {@code state}; the report waits in the marker. */
    RunMarker swapped(String state, String code, String message, Map<String, Object> meta) {
        return new RunMarker(runId, fromVersion, toVersion, Phase.swapped, forced, startedAt, code, message,
                releaseCounter, frameworkUuid, state, meta, plugin);
    }
}
