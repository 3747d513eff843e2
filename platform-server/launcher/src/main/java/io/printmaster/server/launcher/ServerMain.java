package io.printmaster.server.launcher;

import io.printmaster.launcher.FelixLauncher;
import io.printmaster.launcher.LaunchOptions;
import java.io.PrintStream;
import java.util.Map;

/** {@code pm server}: the PrintMaster server container. Listens on 127.0.0.1:8080 unless told otherwise. */
public final class ServerMain {
    static final String ROLE = "server";
    static final int DEFAULT_PORT = 8080;
    /** The server may listen beyond loopback (--bind): its API authenticates every caller. */
    static final boolean MAY_BIND = true;

    private ServerMain() {
    }

    public static void main(String[] args) {
        if (LaunchOptions.request(args) != LaunchOptions.Request.RUN) {
            System.exit(answerInfoRequest(args, System.out, System.err));
            return;
        }
        TrustedProxiesOption.Extracted proxies;
        try {
            proxies = TrustedProxiesOption.extract(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (proxies.value() != null) {
            // read by the http bundle through BundleContext.getProperty, which falls back to system properties
            System.setProperty(TrustedProxiesOption.PROPERTY, proxies.value());
        }
        FelixLauncher.main(ROLE, DEFAULT_PORT, MAY_BIND, proxies.rest());
    }

    /** {@code --help} and {@code --version} as {@link #main} answers them, for tests: the exit code, or RUN. */
    static int answerInfoRequest(String[] args, PrintStream out, PrintStream err) {
        String[] rest;
        try {
            rest = TrustedProxiesOption.extract(args, Map.of()).rest();
        } catch (IllegalArgumentException e) {
            rest = args;
        }
        int code = FelixLauncher.answerInfoRequest(ROLE, DEFAULT_PORT, MAY_BIND, rest, System.getenv(),
                FelixLauncher.defaultHome(), out, err);
        if (LaunchOptions.request(args) == LaunchOptions.Request.HELP) {
            out.println(TrustedProxiesOption.USAGE);
        }
        return code;
    }
}
