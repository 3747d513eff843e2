package io.printmaster.server.launcher;

import io.printmaster.launcher.FelixLauncher;
import io.printmaster.launcher.LaunchOptions;
import io.printmaster.server.launcher.tls.TlsOptions;
import io.printmaster.server.launcher.tls.TlsSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.util.Map;
import org.slf4j.Logger;

/** {@code pm server}: the PrintMaster server container. Listens on 127.0.0.1:8080 unless told otherwise. */
public final class ServerMain {
    static final String ROLE = "server";
    static final int DEFAULT_PORT = 8080;
    /** The server may listen beyond loopback (--bind): its API authenticates every caller. */
    static final boolean MAY_BIND = true;

    private ServerMain() {
    }

    public static void main(String[] args) {
        FelixLauncher.main(ROLE, DEFAULT_PORT, MAY_BIND, args, new TlsExtension());
    }

    /** {@code --help} and {@code --version} as {@link #main} answers them, for tests: the exit code, or RUN. */
    static int answerInfoRequest(String[] args, PrintStream out, PrintStream err) {
        return FelixLauncher.answerInfoRequest(ROLE, DEFAULT_PORT, MAY_BIND, args, System.getenv(),
                FelixLauncher.defaultHome(), out, err, new TlsExtension());
    }

    /** The server's TLS options ({@link TlsOptions}) and the HTTPS set-up they ask for ({@link TlsSetup}). */
    static final class TlsExtension implements FelixLauncher.RoleExtension {
        private TlsOptions tls;

        @Override
        public String[] consume(String[] args, Map<String, String> env) throws LaunchOptions.UsageException {
            TlsOptions.Split split = TlsOptions.split(args, env);
            tls = split.tls();
            return split.rest();
        }

        @Override
        public String[] strip(String[] args) {
            return TlsOptions.withoutTlsFlags(args);
        }

        @Override
        public String usage() {
            return TlsOptions.USAGE;
        }

        @Override
        public Map<String, String> frameworkProperties(LaunchOptions options, Logger log)
                throws FelixLauncher.StartRefusedException {
            try {
                return TlsSetup.prepare(tls, options.dataDir(), options.bind(), options.port(), log);
            } catch (IOException | GeneralSecurityException e) {
                log.error("cannot serve HTTPS: {}", e.getMessage());
                throw new FelixLauncher.StartRefusedException("cannot serve HTTPS: " + e.getMessage());
            }
        }
    }
}
