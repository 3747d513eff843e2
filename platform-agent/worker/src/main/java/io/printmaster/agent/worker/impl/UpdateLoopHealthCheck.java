package io.printmaster.agent.worker.impl;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;

/**
 * The Apache Felix Health Check "the update loop runs": OK while it runs; WARN once it died of an unexpected failure
 * and was started again (the failure stays visible, the agent still updates); CRITICAL while it waits to start again,
 * or when it stopped. Registered by {@link UpdateWorkerComponent} under {@value #NAME}.
 */
final class UpdateLoopHealthCheck implements HealthCheck {
    static final String NAME = "printmaster-update-worker";
    static final String TAG = "printmaster.update-worker";

    private final SupervisedLoop loop;

    UpdateLoopHealthCheck(SupervisedLoop loop) {
        this.loop = loop;
    }

    @Override
    public Result execute() {
        SupervisedLoop.Phase phase = loop.phase();
        String failed = loop.lastFailure().map(f -> "the update loop failed " + f.failures() + " time(s), last at "
                + f.at() + ": " + f.error()).orElse(null);
        return switch (phase) {
            case STARTING -> new Result(Result.Status.OK, "the update loop is starting");
            case RUNNING -> failed == null ? new Result(Result.Status.OK, "the update loop runs")
                    : new Result(Result.Status.WARN, failed + "; it was started again and runs");
            case WAITING_TO_RESTART -> new Result(Result.Status.CRITICAL, failed + "; it starts again at "
                    + loop.lastFailure().orElseThrow().restartAt());
            case STOPPED -> new Result(Result.Status.CRITICAL, "the update loop is not running"
                    + (failed == null ? "" : " (" + failed + ")"));
        };
    }
}
