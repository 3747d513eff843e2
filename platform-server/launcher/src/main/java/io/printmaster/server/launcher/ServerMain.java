package io.printmaster.server.launcher;

import io.printmaster.launcher.FelixLauncher;
import java.io.PrintStream;

/** {@code pm server}: the PrintMaster server container. Listens on 127.0.0.1:8080 unless told otherwise. */
public final class ServerMain {
    static final String ROLE = "server";
    static final int DEFAULT_PORT = 8080;
    /** The server may listen beyond loopback (--bind): its API authenticates every caller. */
    static final boolean MAY_BIND = true;

    private ServerMain() {
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
