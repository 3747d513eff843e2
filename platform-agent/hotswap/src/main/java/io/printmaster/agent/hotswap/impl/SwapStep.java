package io.printmaster.agent.hotswap.impl;

import org.osgi.framework.BundleException;

/**
 * One reversible step of a swap: what it does, and what puts back what it did. A rollback undoes the steps that
 * completed, last first ({@link SwapSteps}); a step that failed half-way undoes its own half in {@code apply}, or is
 * split so that it cannot fail half-way (one bundle per step).
 *
 * @param name what the step does, for the log and a failing check ({@code update bundle x})
 * @param apply the step
 * @param undo what reverses it once it completed
 */
record SwapStep(String name, Action apply, Action undo) {
    /** A step's action; a failure is the step's failing check. */
    @FunctionalInterface
    interface Action {
        void run() throws BundleException, SwapStepException;
    }

    /** Nothing to do. */
    static final Action NOTHING = () -> { };

    /** A step whose undo is nothing: it changes nothing a rollback must reverse (a crash point, a refresh). */
    static SwapStep once(String name, Action apply) {
        return new SwapStep(name, apply, NOTHING);
    }

    /** A step failed; the message is the failing check. */
    static final class SwapStepException extends Exception {
        private static final long serialVersionUID = 1L;

        SwapStepException(String message) {
            super(message);
        }
    }
}
