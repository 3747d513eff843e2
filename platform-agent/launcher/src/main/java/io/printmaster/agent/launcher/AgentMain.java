package io.printmaster.agent.launcher;

import io.printmaster.launcher.FelixLauncher;

/**
 * {@code pm agent}: the PrintMaster agent container. Its local status page and API listen on 127.0.0.1 only: they
 * have no authentication, so they must never be reachable from the network (the launcher enforces it).
 */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) {
        FelixLauncher.main("agent", 8181, false, args);
    }
}
