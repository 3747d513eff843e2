package io.printmaster.launcher;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Command line flags and {@code PM_*} environment variables of a container. A flag wins over its environment
 * variable, which wins over the role's default.
 *
 * <p>{@code home} is the installation root (its {@code etc/} holds the site's files); {@code programDir} is the
 * program tree that runs ({@code bundle/}, {@code conf/}, {@code VERSION}). They differ when an agent runs a version
 * slot {@code <home>/versions/<version>/}; without {@code --program-dir} the program is the home itself.
 *
 * <p>{@code masterKeyFile} ({@code --master-key-file}, {@code PM_MASTER_KEY_FILE}) is null unless given: the secret
 * box then takes {@code PM_MASTER_KEY} or its default file beside the data folder.
 */
public record LaunchOptions(String role, Path home, Path programDir, Path dataDir, int port, String bind, String logLevel,
                            Path masterKeyFile) {

    static final String LOOPBACK = "127.0.0.1";
    private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    /** Thrown for a flag or variable the launcher cannot use; the message is meant for the operator. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** What the command line asks for besides running the container. */
    public enum Request { RUN, HELP, VERSION }

    private static final Set<String> HELP_FLAGS = Set.of("--help", "-h");
    private static final Set<String> VERSION_FLAGS = Set.of("--version", "-V");

    /** {@code --help} wins over {@code --version}, and either over running, wherever they stand. */
    public static Request request(String[] args) {
        Request r = Request.RUN;
        for (String a : args) {
            if (HELP_FLAGS.contains(a)) {
                return Request.HELP;
            }
            if (VERSION_FLAGS.contains(a)) {
                r = Request.VERSION;
            }
        }
        return r;
    }

    /** The arguments without {@code --help} and {@code --version}: what is left to parse. */
    static String[] withoutRequests(String[] args) {
        return java.util.Arrays.stream(args).filter(a -> !HELP_FLAGS.contains(a) && !VERSION_FLAGS.contains(a))
                .toArray(String[]::new);
    }

    public static LaunchOptions parse(String role, int defaultPort, boolean mayBind, String[] args, Map<String, String> env, Path defaultHome)
            throws UsageException {
        Path home = defaultHome;
        Path programDir = null;
        String dataDir = env.getOrDefault("PM_DATA_DIR", "var/" + role);
        String port = env.getOrDefault("PM_PORT", Integer.toString(defaultPort));
        String bind = env.getOrDefault("PM_BIND", LOOPBACK);
        if (!mayBind && !bind.isBlank() && !bind.trim().equals(LOOPBACK)) {
            // a container without authentication on its local API must never widen its listener, not even by env
            throw new UsageException("PM_BIND: the " + role + " listens on " + LOOPBACK + " only (got '" + bind.trim() + "')");
        }
        String logLevel = env.getOrDefault("PM_LOG_LEVEL", "info");
        String masterKeyFile = env.get("PM_MASTER_KEY_FILE");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            String name = a;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> throw new UsageException(usage(role, defaultPort, mayBind));
                case "--home" -> home = Path.of(nonEmpty(value != null ? value : next(args, ++i, name), name));
                case "--program-dir" -> programDir = Path.of(nonEmpty(value != null ? value : next(args, ++i, name), name));
                case "--data-dir" -> dataDir = value != null ? value : next(args, ++i, name);
                case "--port" -> port = value != null ? value : next(args, ++i, name);
                case "--log-level" -> logLevel = value != null ? value : next(args, ++i, name);
                case "--master-key-file" -> masterKeyFile = nonEmpty(value != null ? value : next(args, ++i, name), name);
                case "--bind" -> {
                    if (!mayBind) {
                        throw new UsageException("--bind: the " + role + " listens on 127.0.0.1 only");
                    }
                    bind = value != null ? value : next(args, ++i, name);
                }
                default -> throw new UsageException("unknown option '" + a + "'\n" + usage(role, defaultPort, mayBind));
            }
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--port / PM_PORT: '" + port + "' is not a number");
        }
        if (portNumber < 0 || portNumber > 65535) {
            throw new UsageException("--port / PM_PORT: " + portNumber + " is not between 0 and 65535");
        }
        String level = logLevel.trim().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new UsageException("--log-level / PM_LOG_LEVEL: '" + logLevel + "' is not one of " + LEVELS);
        }
        if (dataDir.isBlank()) {
            throw new UsageException("--data-dir / PM_DATA_DIR: must not be empty");
        }
        Path homeDir = home.toAbsolutePath().normalize();
        return new LaunchOptions(role, homeDir, programDir != null ? programDir.toAbsolutePath().normalize() : homeDir,
                Path.of(dataDir).toAbsolutePath().normalize(),
                portNumber, bind.trim(), level,
                masterKeyFile == null || masterKeyFile.isBlank() ? null : Path.of(masterKeyFile.strip()).toAbsolutePath().normalize());
    }

    private static String next(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    private static String nonEmpty(String value, String flag) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(flag + " must not be empty");
        }
        return value;
    }

    static String usage(String role, int defaultPort, boolean mayBind) {
        return "usage: pm " + role + " [--port N] [--data-dir DIR]" + (mayBind ? " [--bind ADDR]" : "") + " [--log-level LEVEL]\n"
                + "       [--home DIR] [--program-dir DIR] [--master-key-file FILE]\n"
                + "       pm " + role + " --help | --version\n"
                + "  --port N         HTTP port (default " + defaultPort + ", env PM_PORT; 0 picks a free port)\n"
                + "  --data-dir DIR   all state: framework cache, database, keys, logs, plugins/, etc/ (default var/" + role + ", env PM_DATA_DIR)\n"
                + (mayBind ? "  --bind ADDR      address to listen on (default 127.0.0.1, env PM_BIND; 0.0.0.0 for all)\n" : "")
                + "  --log-level L    trace, debug, info, warn or error (default info, env PM_LOG_LEVEL)\n"
                + "  --home DIR       installation root; its etc/ holds the site's files (default: the folder above lib/)\n"
                + "  --program-dir D  program tree to run: bundle/, conf/logback.xml, VERSION (default: the home)\n"
                + "  --master-key-file FILE  the key that seals secrets at rest, kept apart from the data folder (env\n"
                + "                   PM_MASTER_KEY_FILE; default DIR.keys/master.key beside the data folder, created on first\n"
                + "                   start; PM_MASTER_KEY=<base64 of 32 bytes> gives the key itself instead)\n"
                + "  -h, --help       print this help and exit\n"
                + "  -V, --version    print the version (the program tree's VERSION file) and exit";
    }
}
