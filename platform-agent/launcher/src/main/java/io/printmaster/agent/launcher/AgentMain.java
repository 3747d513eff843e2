package io.printmaster.agent.launcher;

import io.printmaster.launcher.FelixLauncher;

/**
 * {@code pm agent}: the PrintMaster agent container. Its local status page and API listen on 127.0.0.1 only: they
 * have no authentication, so they must never be reachable from the network.
 */
public final class AgentMain {
    static final String LOOPBACK = "127.0.0.1";

    private AgentMain() {
    }

    public static void main(String[] args) {
        // --bind is refused by the launcher for the agent; PM_BIND must be refused too, or it would widen the listener
        String bind = System.getenv("PM_BIND");
        if (bind != null && !bind.isBlank() && !bind.trim().equals(LOOPBACK)) {
            System.err.println("PM_BIND: the agent listens on " + LOOPBACK + " only (got '" + bind.trim() + "')");
            System.exit(2);
        }
        FelixLauncher.main("agent", 8181, false, args);
    }
}
