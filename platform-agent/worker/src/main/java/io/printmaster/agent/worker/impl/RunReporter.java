package io.printmaster.agent.worker.impl;

import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's state as the status page sees it, and every transition and end reported: stored in {@code state.json},
 * logged, and sent as telemetry. Shared by the paths of one runner; the state is read from any thread.
 */
final class RunReporter {
    private static final Logger LOG = LoggerFactory.getLogger(RunReporter.class);

    private final AgentHost host;
    private final TelemetrySender telemetry;
    private volatile RunState state = RunState.IDLE;

    RunReporter(AgentHost host, TelemetrySender telemetry) {
        this.host = host;
        this.telemetry = telemetry;
    }

    RunState state() {
        return state;
    }

    /** The state without a report: a trial checking its health shows {@code restarting}. */
    void show(RunState s) {
        state = s;
    }

    RunResult result(String runId, RunState s, String target, String code, String message) {
        return new RunResult(runId, s, target, code, message, host.clock().instant());
    }

    /** Ends a run: state back to idle, the result stored and (when {@code report}) sent. */
    RunResult finish(RunResult r, boolean report) {
        return finish(r, report, null);
    }

    RunResult finish(RunResult r, boolean report, Map<String, Object> metadata) {
        // a run ended by the agent stopping still stores and reports its end: an interrupt would fail both
        boolean interrupted = Thread.interrupted();
        try {
            return record(r, report, metadata);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private RunResult record(RunResult r, boolean report, Map<String, Object> metadata) {
        if (r.errorCode() != null) {
            LOG.warn("update run {} {}: {} {}", r.runId(), r.state().wireName(), r.errorCode(), r.errorMessage());
        } else {
            LOG.info("update run {} {}: {}", r.runId(), r.state().wireName(), r.errorMessage());
        }
        WorkerFiles files = host.files();
        try {
            files.saveState(files.state().withResult(new PersistentState.StoredResult(r.runId(), r.state().wireName(),
                    r.targetVersion(), r.errorCode(), r.errorMessage(), r.finishedAt())));
        } catch (IOException e) {
            LOG.error("cannot store the result of run {}: {}", r.runId(), e.toString());
        }
        if (report) {
            telemetry.send(new TelemetrySender.Event(r.runId(), r.state().wireName(), host.runningRelease(),
                    r.targetVersion(), r.errorCode(), r.errorMessage(), r.finishedAt(), null, null,
                    metadata == null || metadata.isEmpty() ? null : metadata));
        }
        state = RunState.IDLE;
        return r;
    }

    void transition(String runId, RunState next, String target, String code, String message,
                    Map<String, Object> metadata) {
        transition(runId, next, target, code, message, metadata, null, null);
    }

    void transition(String runId, RunState next, String target, String code, String message,
                    Map<String, Object> metadata, Long downloadMillis, Long size) {
        state = next;
        if (next != RunState.CHECKING) { // its end says what the check found (up_to_date when nothing)
            telemetry.send(new TelemetrySender.Event(runId, next.wireName(), host.runningRelease(), target, code,
                    message, host.clock().instant(), downloadMillis, size, metadata.isEmpty() ? null : metadata));
        }
    }

    void clearMarkerQuietly() {
        try {
            host.files().clearMarker();
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", host.files().markerFile(), e.toString());
        }
    }
}
