package io.printmaster.agent.update.api;

import java.util.Objects;

/**
 * A run the worker accepted.
 *
 * @param runId the run's id, as it will appear in {@link RunResult#runId()} and in telemetry
 * @param state the run's state when the trigger returned (usually {@link RunState#CHECKING})
 */
public record TriggerResult(String runId, RunState state) {
    public TriggerResult {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(state, "state");
    }
}
