package io.printmaster.agent.update.api;

/**
 * Tags ({@code hc.tags}) of Apache Felix Health Checks that the agent's update path treats specially. A check is
 * found by its tag, never by the class or bundle that registers it.
 */
public final class HealthCheckTags {
    /**
     * The agent reaches its update server (a check-in with its credential succeeds). The hot-swap gate runs it last,
     * after every other check passed, and only for the new set: a server that went away since the swap began does not
     * make the previous set worse, so the rollback's gate leaves it out. Registered by the enrollment bundle.
     */
    public static final String SERVER_REACHABLE = "printmaster.server-reachable";

    private HealthCheckTags() {
    }
}
