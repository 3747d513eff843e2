package io.printmaster.server.launcher;

import io.printmaster.launcher.FelixLauncher;

/** {@code pm server}: the PrintMaster server container. Listens on 127.0.0.1:8080 unless told otherwise. */
public final class ServerMain {
    private ServerMain() {
    }

    public static void main(String[] args) {
        FelixLauncher.main("server", 8080, true, args);
    }
}
