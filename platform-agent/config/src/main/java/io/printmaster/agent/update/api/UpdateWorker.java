package io.printmaster.agent.update.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The agent's background update worker: what it is doing and a way to ask it to act now. Implemented by the worker
 * bundle; at most one is expected (the highest ranked wins).
 */
@ConsumerType
public interface UpdateWorker {
    /** What the worker is doing and what it did last; never null. */
    WorkerStatus status();

    /**
     * Checks the server for an update now and applies it if the policy in force allows it now (window, pinning).
     * Returns as soon as the run is accepted; the run continues in the background.
     *
     * @throws TriggerRefusedException when the worker will not start a run (one is already running, updates are
     *     disabled, the agent is not configured)
     */
    TriggerResult check() throws TriggerRefusedException;

    /**
     * Like {@link #check()} but ignores the maintenance window and the check cadence (never the signature checks).
     *
     * @throws TriggerRefusedException when the worker will not start a run
     */
    TriggerResult force() throws TriggerRefusedException;
}
