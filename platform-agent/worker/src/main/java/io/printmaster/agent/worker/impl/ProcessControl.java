package io.printmaster.agent.worker.impl;

import java.util.Optional;

/**
 * What ends or judges this process: the restart (exit code 75, or through the service manager), the health probe of
 * a trial, and the crash points of the end-to-end tests.
 */
record ProcessControl(Restarter restarter, HealthProbe health, FaultInjection faults) {

    /** Restarts the agent so that the trampoline boots the slot pointers' choice. */
    interface Restarter {
        /**
         * Asks for the restart: exit code 75 under a supervisor that starts the agent again on it, else through the
         * service manager that runs the agent. Returns when the exit is under way or the service system accepted the
         * restart (this process ends soon after).
         *
         * @throws UpdateFailure {@code RESTART_FAILED} when nothing would start the agent again, or its service
         *                       manager refused
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
