package io.printmaster.agent.worker.impl;

import java.util.Optional;

/**
 * What ends or judges this process: the restart through the service manager, the health probe of a trial, and the
 * crash points of the end-to-end tests.
 */
record ProcessControl(Restarter restarter, HealthProbe health, FaultInjection faults) {

    /** Restarts the agent's service so that the trampoline boots the slot pointers' choice. */
    interface Restarter {
        /**
         * Asks for the restart. Returns when the service system accepted it (this process ends soon after).
         *
         * @throws UpdateFailure {@code RESTART_FAILED} when no service manager runs this agent or it refused
         */
        void restart() throws UpdateFailure;

        /** This restarter as it is now, usable after the caller's references are gone; by default itself. */
        default Restarter snapshot() {
            return this;
        }
    }

    /** The health check of a trial. */
    interface HealthProbe {
        /** Waits for the agent to become healthy; empty when healthy, else the failing check, for the operator. */
        Optional<String> failingCheck() throws InterruptedException;
    }
}
