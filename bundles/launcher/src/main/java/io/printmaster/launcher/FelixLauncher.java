package io.printmaster.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts an Apache Felix framework with the bundles of a distribution's {@code bundle/} folder, wired to one data
 * directory. Shared by the server and the agent launchers; each only supplies its role and defaults.
 *
 * <p>The framework cache is rebuilt at every start from {@code bundle/} and {@code plugins/}, so what runs is
 * always exactly what the distribution and the plugin folder hold. Configuration lives in {@code etc/} files
 * that Felix FileInstall feeds to Configuration Admin.
 */
public final class FelixLauncher {

    /** Framework properties bundles read with {@code BundleContext.getProperty}. */
    public static final String PROP_DATA_DIR = "pm.data.dir";
    public static final String PROP_ROLE = "pm.role";
    /** The installation root: its {@code etc/} holds the site's files (an agent's fleet files). */
    public static final String PROP_HOME = "pm.home";
    /**
     * The program tree that runs ({@code bundle/}, {@code conf/}, {@code VERSION}): the home itself, or an agent's
     * version slot {@code <home>/versions/<version>}.
     */
    public static final String PROP_PROGRAM_DIR = "pm.program.dir";
    public static final String PROP_VERSION = "pm.version";
    public static final String PROP_START_MILLIS = "pm.start.millis";
    /** {@code --master-key-file} / {@code PM_MASTER_KEY_FILE}, for the secret box; unset when not given. */
    public static final String PROP_MASTER_KEY_FILE = "pm.master.key.file";

    private static final String SLF4J_VERSION = "2.0.17";
    private static final String SLF4J_1_COMPAT = "1.7.36";

    private final LaunchOptions options;
    private final RoleExtension extension;
    private Logger log;

    public FelixLauncher(LaunchOptions options) {
        this(options, RoleExtension.NONE);
    }

    FelixLauncher(LaunchOptions options, RoleExtension extension) {
        this.options = options;
        this.extension = extension;
    }

    /**
     * What one role adds to the common launcher: flags of its own (the server's TLS options), their help, and
     * framework properties made once logging runs and before the framework starts.
     */
    public interface RoleExtension {
        RoleExtension NONE = new RoleExtension() {
            @Override
            public String[] consume(String[] args, Map<String, String> env) {
                return args;
            }

            @Override
            public String[] strip(String[] args) {
                return args;
            }

            @Override
            public String usage() {
                return "";
            }

            @Override
            public Map<String, String> frameworkProperties(LaunchOptions options, Logger log) {
                return Map.of();
            }
        };

        /** Takes this role's flags out of {@code args} and remembers them; the rest goes to {@link LaunchOptions}. */
        String[] consume(String[] args, Map<String, String> env) throws LaunchOptions.UsageException;

        /** The arguments without this role's flags, unchecked (for {@code --help} and {@code --version}). */
        String[] strip(String[] args);

        /** Help lines of the role's flags, appended to the common ones; empty for none. */
        String usage();

        /** Framework properties to add; an exception fails the start with its message. */
        Map<String, String> frameworkProperties(LaunchOptions options, Logger log) throws Exception;
    }

    /** Parses arguments, runs the container until it stops and exits the JVM; never returns. */
    public static void main(String role, int defaultPort, boolean mayBind, String[] args) {
        main(role, defaultPort, mayBind, args, RoleExtension.NONE);
    }

    /** As {@link #main(String, int, boolean, String[])}, with the role's own flags. */
    public static void main(String role, int defaultPort, boolean mayBind, String[] args, RoleExtension extension) {
        long started = System.currentTimeMillis();
        int answered = answerInfoRequest(role, defaultPort, mayBind, args, System.getenv(), defaultHome(),
                System.out, System.err, extension);
        if (answered != RUN) {
            System.exit(answered);
            return;
        }
        LaunchOptions options;
        try {
            String[] common = extension.consume(args, System.getenv());
            options = LaunchOptions.parse(role, defaultPort, mayBind, common, System.getenv(), defaultHome());
        } catch (LaunchOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        int code;
        try {
            code = new FelixLauncher(options, extension).run(started);
        } catch (PortInUseException | StartRefusedException e) {
            System.err.println("printmaster " + role + ": failed to start: " + e.getMessage());
            code = 1;
        } catch (Exception e) {
            System.err.println("printmaster " + role + ": failed to start: " + e.getMessage());
            e.printStackTrace();
            code = 1;
        }
        // Felix's event thread is not a daemon: exit explicitly or a failed start hangs.
        System.exit(code);
    }

    /** {@link #answerInfoRequest}'s answer when the arguments ask to run the container. */
    public static final int RUN = -1;

    /**
     * Answers {@code --help} (the usage, on standard output) and {@code --version} (the version this program folder
     * would report, honouring {@code --home} and {@code --program-dir}), which are requests, not errors: exit code 0.
     *
     * @return the exit code when the request was answered (2 for unusable arguments beside {@code --version}),
     *         {@link #RUN} when the arguments ask for neither
     */
    public static int answerInfoRequest(String role, int defaultPort, boolean mayBind, String[] args,
                                        Map<String, String> env, Path defaultHome, PrintStream out, PrintStream err) {
        return answerInfoRequest(role, defaultPort, mayBind, args, env, defaultHome, out, err, RoleExtension.NONE);
    }

    /** As the other {@code answerInfoRequest}, with the role's own flags listed and accepted. */
    public static int answerInfoRequest(String role, int defaultPort, boolean mayBind, String[] args,
                                        Map<String, String> env, Path defaultHome, PrintStream out, PrintStream err,
                                        RoleExtension extension) {
        switch (LaunchOptions.request(args)) {
            case HELP -> {
                String more = extension.usage();
                out.println(LaunchOptions.usage(role, defaultPort, mayBind) + (more.isEmpty() ? "" : "\n" + more));
                return 0;
            }
            case VERSION -> {
                try {
                    LaunchOptions options = LaunchOptions.parse(role, defaultPort, mayBind,
                            extension.strip(LaunchOptions.withoutRequests(args)), env, defaultHome);
                    out.println("PrintMaster " + role + " " + readVersion(options.programDir(), implementationVersion()));
                    return 0;
                } catch (LaunchOptions.UsageException e) {
                    err.println(e.getMessage());
                    return 2;
                }
            }
            default -> {
                return RUN;
            }
        }
    }

    int run(long startedMillis) throws Exception {
        Path data = options.dataDir();
        for (String dir : List.of("logs", "etc", "plugins", "cache")) {
            Files.createDirectories(data.resolve(dir));
        }
        configureLogging(data);
        log = LoggerFactory.getLogger(FelixLauncher.class);
        keepToOwner(data);
        String version = readVersion();
        if (options.programDir().equals(options.home())) {
            log.info("starting PrintMaster {} {} (data {}, home {})", options.role(), version, data, options.home());
        } else {
            log.info("starting PrintMaster {} {} (data {}, home {}, program {})", options.role(), version, data,
                    options.home(), options.programDir());
        }

        ensurePortFree(options.bind(), options.port());
        Map<String, Object> properties = frameworkProperties(data, version, startedMillis);
        properties.putAll(extension.frameworkProperties(options, log));
        Felix felix = new Felix(properties);
        felix.init();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(felix), "pm-shutdown"));
        felix.start();
        installBundles(felix.getBundleContext());
        keepToOwner(data); // what the start itself wrote (the database, the logs)
        keepToOwnerWhileRunning(data);
        log.info("PrintMaster {} started in {} ms", options.role(), System.currentTimeMillis() - startedMillis);

        FrameworkEvent event = felix.waitForStop(0);
        logStopped();
        return event.getType() == FrameworkEvent.ERROR ? 1 : 0;
    }

    /** The data folder 0700, its files 0600 (POSIX only): see {@link OwnerOnlyFolder}. */
    private void keepToOwner(Path data) {
        try {
            int changed = OwnerOnlyFolder.apply(data);
            if (changed > 0) {
                log.debug("took group and others' permissions from {} files and folders of {}", changed, data);
            }
        } catch (IOException e) {
            // a folder of another owner (a mounted volume): the program still runs, but the admin must know
            log.warn("cannot make the data folder {} owner-only ({}): other accounts may read what is in it; make this "
                    + "account its owner or run chmod 700 on it", data, e.toString());
        }
    }

    /**
     * With a umask that lets group or others read new files (a plain {@code java} start from a shell with 022), the
     * files written while running (logs, downloads, database files) are made owner-only every
     * {@value #MODE_RECHECK_SECONDS} s. Service managers that set {@code UMask=0077} never need it.
     */
    private void keepToOwnerWhileRunning(Path data) {
        try {
            if (OwnerOnlyFolder.newFilesArePrivate(data)) {
                return;
            }
        } catch (IOException e) {
            log.debug("cannot probe the umask in {}: {}", data, e.toString());
        }
        log.info("this process creates files others may read (its umask); the files of {} are made owner-only every {} s "
                + "(start with umask 077 to avoid it)", data, MODE_RECHECK_SECONDS);
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-data-folder-modes");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                OwnerOnlyFolder.apply(data);
            } catch (IOException | RuntimeException e) {
                log.debug("cannot keep {} owner-only: {}", data, e.toString());
            }
        }, MODE_RECHECK_SECONDS, MODE_RECHECK_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    }

    static final int MODE_RECHECK_SECONDS = 30;

    /**
     * Fails the start when the HTTP port is taken. Jetty would only log "no connectors available" and the container
     * would run without HTTP, reporting itself started; an admin must see the real problem at once instead.
     *
     * @throws PortInUseException naming the address and port
     */
    static void ensurePortFree(String bind, int port) throws PortInUseException {
        if (port == 0) {
            return; // any free port: nothing to check
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true); // as Jetty binds: a port in TIME_WAIT is usable
            probe.bind(new java.net.InetSocketAddress(bind, port));
        } catch (IOException e) {
            throw new PortInUseException("port " + port + " on " + bind + " is not available (" + e.getMessage()
                    + "): stop the program using it or start with --port N (PM_PORT)");
        }
    }

    /** A role's extension refuses to start, for a reason its message gives in full (no stack trace needed). */
    public static final class StartRefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        public StartRefusedException(String message) {
            super(message);
        }
    }

    /** The HTTP port cannot be bound. */
    static final class PortInUseException extends Exception {
        private static final long serialVersionUID = 1L;

        PortInUseException(String message) {
            super(message);
        }
    }

    private void stop(Felix felix) {
        try {
            if ((felix.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                log.info("stopping PrintMaster {}", options.role());
                felix.stop();
                felix.waitForStop(30_000);
                // here too: after a SIGTERM the JVM ends once this hook returns, often before the main thread,
                // woken by the same stop, has written the line
                logStopped();
            }
        } catch (Exception e) {
            log.warn("unclean stop", e);
        }
    }

    private final AtomicBoolean stoppedLogged = new AtomicBoolean();

    /** The "stopped" line, once, from whichever thread sees the framework stopped first. */
    private void logStopped() {
        if (stoppedLogged.compareAndSet(false, true)) {
            log.info("PrintMaster {} stopped", options.role());
        }
    }

    private Map<String, Object> frameworkProperties(Path data, String version, long startedMillis) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, data.resolve("cache/felix").toString());
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // The launcher's classpath provides SLF4J and its provider so every bundle logs to the same place
        // without an SPI mediator in the framework.
        p.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                "org.slf4j;version=" + SLF4J_VERSION,
                "org.slf4j.spi;version=" + SLF4J_VERSION,
                "org.slf4j.event;version=" + SLF4J_VERSION,
                "org.slf4j.helpers;version=" + SLF4J_VERSION,
                // as slf4j-api 2 itself exports them: bundles built against SLF4J 1.7 (Apache Felix Health Checks
                // import org.slf4j [1.7,2)) resolve against the same, compatible API
                "org.slf4j;version=" + SLF4J_1_COMPAT,
                "org.slf4j.helpers;version=" + SLF4J_1_COMPAT));
        p.put(PROP_DATA_DIR, data.toString());
        if (options.masterKeyFile() != null) {
            p.put(PROP_MASTER_KEY_FILE, options.masterKeyFile().toString());
        }
        p.put(PROP_ROLE, options.role());
        p.put(PROP_HOME, options.home().toString());
        p.put(PROP_PROGRAM_DIR, options.programDir().toString());
        p.put(PROP_VERSION, version);
        p.put(PROP_START_MILLIS, Long.toString(startedMillis));
        // Felix HTTP (Jetty): port and listen address.
        p.put("org.osgi.service.http.port", Integer.toString(options.port()));
        p.put("org.apache.felix.http.host", options.bind());
        p.put("org.apache.felix.http.jetty.sendServerHeader", "false");
        // Felix FileInstall watches etc/ (configuration files) and plugins/ (bundles), both hot.
        p.put("felix.fileinstall.dir", data.resolve("etc") + "," + data.resolve("plugins"));
        p.put("felix.fileinstall.poll", "500");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.log.level", "2");
        p.put("felix.fileinstall.log.default", "jul");
        p.put("felix.fileinstall.bundles.new.start", "true");
        // Never write configurations back into etc/ files: nothing here edits configuration through Configuration
        // Admin to persist it, and FileInstall's write-back truncates and rewrites the file in place, so a process
        // killed at that moment left an empty etc/*.cfg (found by AgentUpdateEndToEndIT's crash tests: the agent's
        // check-in interval silently went back to its default after a halt).
        p.put("felix.fileinstall.enableConfigSave", "false");
        // Configuration Admin keeps configurations in memory only: the framework cache is wiped at every start
        // anyway, and its file store would hold secrets given to plugins (a release source's token) in clear text.
        // Whoever needs a configuration to survive a restart keeps it (etc/*.cfg files, or a bundle's own storage).
        p.put("felix.cm.pm", "memory");
        return p;
    }

    private void installBundles(BundleContext context) throws IOException {
        Path bundleDir = options.programDir().resolve("bundle");
        List<Path> jars;
        try (Stream<Path> s = Files.list(bundleDir)) {
            jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        if (jars.isEmpty()) {
            throw new IOException("no bundles in " + bundleDir + ": is this a built distribution?");
        }
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            try (InputStream in = Files.newInputStream(jar)) {
                installed.add(context.installBundle(jar.toUri().toString(), in));
            } catch (BundleException e) {
                throw new IOException("cannot install " + jar.getFileName() + ": " + e.getMessage(), e);
            }
        }
        installed.sort(java.util.Comparator.comparingInt(FelixLauncher::startOrder));
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException e) {
                log.error("bundle {} did not start: {}", b.getSymbolicName(), e.getMessage(), e);
            }
        }
    }

    /**
     * Start order: the OSGi Log Service, configuration and Declarative Services first so every component activates
     * as soon as its bundle starts (and its errors reach the log), FileInstall last so plugins meet a running
     * platform. The hot-swap engine restarts swapped bundles in the same order (its BundleOps.startOrder: keep the two
     * alike).
     */
    static int startOrder(Bundle b) {
        String name = String.valueOf(b.getSymbolicName());
        if (name.equals("org.apache.felix.log")) {
            // the Log Service before its users: SCR and Configuration Admin log through it once it is there
            return -1;
        }
        if (name.equals("org.apache.felix.configadmin")) {
            return 0;
        }
        if (name.startsWith("org.osgi.") || name.equals("org.apache.felix.scr")) {
            return 1;
        }
        if (name.equals("org.apache.felix.fileinstall")) {
            return 9;
        }
        return 5;
    }

    private void configureLogging(Path data) {
        // libraries that log through java.util.logging (FileInstall, parts of the JDK) end up in the same log
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.setProperty("pm.log.dir", data.resolve("logs").toString());
        System.setProperty("pm.log.level", options.logLevel());
        System.setProperty("pm.role", options.role());
        Path config = options.programDir().resolve("conf/logback.xml");
        if (Files.isRegularFile(config) && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", config.toString());
        }
        // Derby writes derby.log to the working directory unless told otherwise.
        System.setProperty("derby.stream.error.file", data.resolve("logs/derby.log").toString());
    }

    /**
     * The program dir's {@code VERSION} file wins: a release is identified by it, and a version slot runs with the
     * launcher jar of its own tree but must report the slot's version even if the jar says otherwise.
     */
    private String readVersion() {
        return readVersion(options.programDir(), implementationVersion());
    }

    static String readVersion(Path programDir, String implementationVersion) {
        Path file = programDir.resolve("VERSION");
        try {
            if (Files.isRegularFile(file)) {
                String v = Files.readString(file).trim();
                if (!v.isEmpty()) {
                    return v;
                }
            }
        } catch (IOException e) {
            // unreadable: fall back to the jar's version
        }
        return implementationVersion != null ? implementationVersion : "0.0.0-dev";
    }

    private static String implementationVersion() {
        Package p = FelixLauncher.class.getPackage();
        return p != null ? p.getImplementationVersion() : null;
    }

    /** The distribution folder: the parent of the {@code lib/} folder holding this jar. */
    public static Path defaultHome() {
        try {
            Path jar = Path.of(FelixLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path lib = jar.getParent();
            return lib != null && lib.getParent() != null ? lib.getParent() : Path.of(".");
        } catch (Exception e) {
            return Path.of(".");
        }
    }
}
