package io.printmaster.agent.launcher;

import io.printmaster.launcher.FelixLauncher;
import java.io.PrintStream;

/**
 * {@code pm agent}: the PrintMaster agent container. Its local status page and API listen on 127.0.0.1 only: they
 * have no authentication, so they must never be reachable from the network (the launcher enforces it).
 */
public final class AgentMain {
    static final String ROLE = "agent";
    static final int DEFAULT_PORT = 8181;
    static final boolean MAY_BIND = false;

    private AgentMain() {
    }

    public static void main(String[] args) {
        FelixLauncher.main(ROLE, DEFAULT_PORT, MAY_BIND, args);
    }

    /** {@code --help} and {@code --version} as {@link #main} answers them, for tests: the exit code, or RUN. */
    static int answerInfoRequest(String[] args, PrintStream out, PrintStream err) {
        return FelixLauncher.answerInfoRequest(ROLE, DEFAULT_PORT, MAY_BIND, args, System.getenv(),
                FelixLauncher.defaultHome(), out, err);
    }
}
