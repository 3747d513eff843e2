package io.printmaster.agent.update.api;

import java.time.Instant;
import java.util.Objects;

/**
 * The worker's state as the status page shows it.
 *
 * @param state what the worker is doing now
 * @param latestVersion the newest version the server offered this agent, null before the first successful check
 * @param lastCheckAt when the server was last asked, null before the first check
 * @param nextCheckAt when the next scheduled check is due, null when none is scheduled
 * @param lastResult how the last finished run ended, null before the first run
 */
public record WorkerStatus(RunState state, String latestVersion, Instant lastCheckAt, Instant nextCheckAt,
                           RunResult lastResult) {
    public WorkerStatus {
        Objects.requireNonNull(state, "state");
    }
}
