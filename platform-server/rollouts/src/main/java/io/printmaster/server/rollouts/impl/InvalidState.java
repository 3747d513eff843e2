package io.printmaster.server.rollouts.impl;

/** The action is not allowed in the rollout's current state. */
final class InvalidState extends Exception {
    private static final long serialVersionUID = 1L;

    private final String state;

    InvalidState(String action, String state) {
        super("cannot " + action + " the rollout: its state is " + state);
        this.state = state;
    }

    String state() {
        return state;
    }
}
