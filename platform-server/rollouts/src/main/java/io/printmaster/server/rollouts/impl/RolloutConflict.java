package io.printmaster.server.rollouts.impl;

/** Another active rollout of the component already holds one of the fleets. */
final class RolloutConflict extends Exception {
    private static final long serialVersionUID = 1L;

    private final String rolloutId;
    private final String fleet;

    RolloutConflict(String rolloutId, String fleet) {
        super("rollout " + rolloutId + " is already active for fleet '" + fleet + "'");
        this.rolloutId = rolloutId;
        this.fleet = fleet;
    }

    String rolloutId() {
        return rolloutId;
    }

    String fleet() {
        return fleet;
    }
}
