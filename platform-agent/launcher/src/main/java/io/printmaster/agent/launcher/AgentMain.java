package io.printmaster.agent.launcher;

import io.printmaster.launcher.FelixLauncher;

/** {@code pm agent}: the PrintMaster agent container. Its local status page listens on 127.0.0.1 only. */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) {
        FelixLauncher.main("agent", 8181, false, args);
    }
}
