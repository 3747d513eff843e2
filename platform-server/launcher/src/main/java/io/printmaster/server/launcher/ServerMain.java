package io.printmaster.server.launcher;

import io.printmaster.launcher.FelixLauncher;
import io.printmaster.launcher.LaunchOptions;
import io.printmaster.server.launcher.selfupdate.HandoverAtStart;
import io.printmaster.server.launcher.tls.TlsOptions;
import io.printmaster.server.launcher.tls.TlsSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.util.HashMap;
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
        FelixLauncher.main(ROLE, DEFAULT_PORT, MAY_BIND, args, new ServerFlags());
    }

    /** {@code --help} and {@code --version} as {@link #main} answers them, for tests: the exit code, or RUN. */
    static int answerInfoRequest(String[] args, PrintStream out, PrintStream err) {
        return FelixLauncher.answerInfoRequest(ROLE, DEFAULT_PORT, MAY_BIND, args, System.getenv(),
                FelixLauncher.defaultHome(), out, err, new ServerFlags());
    }

    /**
     * The server's own flags: the TLS options ({@link TlsOptions}) and the HTTPS set-up they ask for
     * ({@link TlsSetup}), the trusted reverse proxies ({@link TrustedProxiesOption}), passed on as the framework
     * property the http bundle reads, and the PostgreSQL database ({@link DatabaseOption}) for the store bundle.
     */
    static final class ServerFlags implements FelixLauncher.RoleExtension {
        private TlsOptions tls;
        private String trustedProxies;
        private String database;

        @Override
        public String[] consume(String[] args, Map<String, String> env) throws LaunchOptions.UsageException {
            TrustedProxiesOption.Extracted proxies;
            try {
                proxies = TrustedProxiesOption.extract(args, env);
            } catch (IllegalArgumentException e) {
                throw new LaunchOptions.UsageException(e.getMessage());
            }
            trustedProxies = proxies.value();
            DatabaseOption.Extracted db;
            try {
                db = DatabaseOption.extract(proxies.rest(), env);
            } catch (IllegalArgumentException e) {
                throw new LaunchOptions.UsageException(e.getMessage());
            }
            database = db.value();
            TlsOptions.Split split = TlsOptions.split(db.rest(), env);
            tls = split.tls();
            return split.rest();
        }

        @Override
        public String[] strip(String[] args) {
            String[] rest;
            try {
                rest = TrustedProxiesOption.extract(args, Map.of()).rest();
            } catch (IllegalArgumentException e) {
                rest = args;
            }
            rest = DatabaseOption.without(rest);
            return TlsOptions.withoutTlsFlags(rest);
        }

        @Override
        public String usage() {
            return TlsOptions.USAGE + "\n" + TrustedProxiesOption.USAGE + "\n" + DatabaseOption.USAGE;
        }

        @Override
        public Map<String, String> frameworkProperties(LaunchOptions options, Logger log)
                throws FelixLauncher.StartRefusedException {
            try {
                Map<String, String> properties = new HashMap<>(
                        TlsSetup.prepare(tls, options.dataDir(), options.bind(), options.port(), log));
                if (trustedProxies != null) {
                    properties.put(TrustedProxiesOption.PROPERTY, trustedProxies);
                }
                if (database != null) {
                    properties.put(DatabaseOption.PROPERTY, database);
                }
                selfUpdateHandover(options, log);
                return properties;
            } catch (IOException | GeneralSecurityException e) {
                log.error("cannot serve HTTPS: {}", e.getMessage());
                throw new FelixLauncher.StartRefusedException("cannot serve HTTPS: " + e.getMessage());
            }
        }

        /**
         * A self-update's hand-over, before the framework (and Derby) starts: the trial's watchdog, or the restore of
         * the backup after a failed trial ({@link HandoverAtStart}). A restore that fails stops the start: the old
         * version must not run against the database the new one migrated.
         */
        private void selfUpdateHandover(LaunchOptions options, Logger log) throws FelixLauncher.StartRefusedException {
            try {
                HandoverAtStart.run(options.dataDir(), options.programDir(), database, System.getenv(), log,
                        System::exit);
            } catch (IOException | RuntimeException e) {
                log.error("self-update: cannot finish the hand-over in {}: {}", options.dataDir(), e.getMessage());
                throw new FelixLauncher.StartRefusedException("self-update: cannot restore the database after a failed"
                        + " update (" + e.getMessage() + "); see the admin guide, \"Self-update backups and rollback\"");
            }
        }
    }
}
