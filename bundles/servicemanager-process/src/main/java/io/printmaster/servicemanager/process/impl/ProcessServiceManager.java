package io.printmaster.servicemanager.process.impl;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceManagerType;
import io.printmaster.api.service.SelfRestart;
import io.printmaster.api.service.ServiceStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The service as a supervised child process of this framework, for development and tests where there is no service
 * system (or none to be touched): {@code start} runs the configured command line and keeps its {@link Process},
 * {@code status} comes from whether it is alive and how it exited, {@code stop} asks it to end (SIGTERM, or
 * {@link Process#destroy()}'s equivalent) and kills it ({@link Process#destroyForcibly()}) when it is still there
 * after the timeout. The processes it started are its children: when this component goes away it stops them, since
 * nothing could report on them any more.
 *
 * <p>One service, the configured {@code service} name; any other name is not installed. Applies everywhere
 * ({@link #detect()} is always true) at the lowest ranking, so every real service system wins over it.
 *
 * <p>Under the supervisor ({@code bin/pm-agent --supervise} exports {@code PM_SUPERVISED=1}) the configured service,
 * when this manager did not start it itself, is THIS process: {@code status} is {@link ServiceStatus#RUNNING},
 * {@code start} does nothing, {@code restart} ends the JVM with exit code {@value #EXIT_RESTART} (the supervisor
 * starts it again at once, choosing the version slot anew) and {@code stop} ends it with 0 (the supervisor ends too).
 * Both return at once: the exit runs on its own thread and the caller is stopped with the framework.
 */
@Component(service = ServiceManager.class, configurationPid = ProcessServiceManager.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        // the fallback: any service system that detects itself wins
        property = "service.ranking:Integer=-1000")
@Designate(ocd = ProcessServiceManager.Config.class)
@ServiceManagerType(name = ProcessServiceManager.NAME)
@PluginName("Supervised process")
public class ProcessServiceManager implements ServiceManager {
    /** Configuration PID (optional; without a command the service is not installed). */
    public static final String PID = "io.printmaster.servicemanager.process";
    static final String NAME = "process";
    /** How long a process that exits at once has to do so for {@code start} to report it. */
    private static final Duration SETTLE = Duration.ofMillis(300);
    /** After the forcible kill: how long the operating system gets to reap the process. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** Set to {@code 1} by {@code bin/pm-agent --supervise} for the agent it runs. */
    static final String SUPERVISED_ENV = SelfRestart.SUPERVISED_ENV;
    /** The exit code asking the supervisor for a restart (EX_TEMPFAIL). */
    static final int EXIT_RESTART = SelfRestart.EXIT_CODE;

    /** The configuration keys. */
    @ObjectClassDefinition(name = "PrintMaster service manager: supervised process",
            description = "Runs the service as a child process (development and tests).")
    public @interface Config {
        @AttributeDefinition(name = "Service name", description = "The name this manager answers to.")
        String service() default "printmaster-agent";

        @AttributeDefinition(name = "Command line", description = "The program and its arguments, separated by "
                + "spaces; \"double\" or 'single' quotes keep spaces inside an argument. Empty: not installed.")
        String command() default "";

        @AttributeDefinition(name = "Working directory", description = "Where the command runs (empty: this "
                + "process's working directory).")
        String workingDirectory() default "";

        @AttributeDefinition(name = "Log file", description = "Receives the command's output and errors, appended "
                + "(empty: discarded).")
        String logFile() default "";
    }

    /** A started process: its handle and whether this manager stopped it (then its exit is not a failure). */
    private static final class Child {
        final Process process;
        volatile boolean stoppedByUs;

        Child(Process process) {
            this.process = process;
        }
    }

    private volatile Config config;
    private Child child;
    private final boolean supervised;
    private final IntConsumer exit;

    @Activate
    public ProcessServiceManager(Config config) {
        this(config, System::getenv, System::exit);
    }

    /** For tests: the environment lookup and the JVM exit. */
    ProcessServiceManager(Config config, UnaryOperator<String> env, IntConsumer exit) {
        this.config = config;
        this.supervised = SelfRestart.supervised(env);
        this.exit = exit;
    }

    @Modified
    void modified(Config config) {
        // a running process keeps its command line until it is restarted
        this.config = config;
    }

    @Deactivate
    void deactivate() {
        Child c;
        synchronized (this) {
            c = child;
        }
        if (c != null && c.process.isAlive()) {
            try {
                stopChild(c, Duration.ofSeconds(10), config.service());
            } catch (ServiceManagerException e) {
                // best effort: the framework is going away
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean detect() {
        return true;
    }

    @Override
    public synchronized ServiceStatus status(String service) throws ServiceManagerException {
        if (isThisProcess(service)) {
            return ServiceStatus.RUNNING;
        }
        if (!installed(service)) {
            return ServiceStatus.NOT_INSTALLED;
        }
        if (child == null) {
            return ServiceStatus.STOPPED;
        }
        if (child.process.isAlive()) {
            return ServiceStatus.RUNNING;
        }
        return child.stoppedByUs || child.process.exitValue() == 0 ? ServiceStatus.STOPPED : ServiceStatus.FAILED;
    }

    /** The running (or last) process's id, for tests and diagnostics. */
    synchronized OptionalLong pid(String service) {
        return installed(service) && child != null ? OptionalLong.of(child.process.pid()) : OptionalLong.empty();
    }

    /** The last process's exit code, once it has exited. */
    synchronized OptionalInt exitCode(String service) {
        return installed(service) && child != null && !child.process.isAlive()
                ? OptionalInt.of(child.process.exitValue()) : OptionalInt.empty();
    }

    @Override
    public synchronized void start(String service, Duration timeout) throws ServiceManagerException {
        if (isThisProcess(service)) {
            return; // already running: it is this process
        }
        if (!installed(service)) {
            throw notInstalled(service, "start");
        }
        if (child != null && child.process.isAlive()) {
            return;
        }
        Config c = config;
        ProcessBuilder builder = new ProcessBuilder(commandLine(c.command())).redirectErrorStream(true);
        if (!c.workingDirectory().isBlank()) {
            Path dir = Path.of(c.workingDirectory());
            if (!Files.isDirectory(dir)) {
                throw new ServiceManagerException("workingDirectory: " + dir + " is not a directory");
            }
            builder.directory(dir.toFile());
        }
        if (c.logFile().isBlank()) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        } else {
            Path log = Path.of(c.logFile()).toAbsolutePath();
            try {
                Files.createDirectories(log.getParent());
            } catch (IOException e) {
                throw new ServiceManagerException("logFile: cannot create the folder of " + log + ": " + e, e);
            }
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ServiceManagerException("command: `" + c.command() + "` could not be started: "
                    + e.getMessage(), e);
        }
        child = new Child(process);
        // a plain process has no readiness signal; one that ends at once did not start, and the caller must know
        if (waitFor(process, min(SETTLE, timeout))) {
            throw new ServiceManagerException("service " + service + ": `" + c.command() + "` exited at once with "
                    + "code " + process.exitValue() + (c.logFile().isBlank() ? "" : " (see " + c.logFile() + ")"));
        }
    }

    @Override
    public void stop(String service, Duration timeout) throws ServiceManagerException {
        Child c;
        synchronized (this) {
            if (isThisProcess(service)) {
                exitSoon(0, "pm-supervised-stop");
                return;
            }
            if (!installed(service)) {
                throw notInstalled(service, "stop");
            }
            c = child;
        }
        if (c != null && c.process.isAlive()) {
            stopChild(c, timeout, service);
        }
    }

    @Override
    public void restart(String service, Duration timeout) throws ServiceManagerException {
        synchronized (this) {
            if (isThisProcess(service)) {
                exitSoon(EXIT_RESTART, "pm-supervised-restart");
                return;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        stop(service, timeout);
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new ServiceManagerException("service " + service + " did not restart in time: stopping took "
                    + "the whole " + timeout);
        }
        start(service, Duration.ofNanos(left));
    }

    /** SIGTERM to the process and what it started; SIGKILL to whatever is left after {@code timeout}. */
    private static void stopChild(Child c, Duration timeout, String service) throws ServiceManagerException {
        c.stoppedByUs = true;
        // the descendants are listed first: once the parent is gone they are re-parented and no longer ours to find
        List<ProcessHandle> tree = new ArrayList<>(c.process.descendants().toList());
        tree.add(c.process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        if (waitFor(c.process, timeout) && tree.stream().noneMatch(ProcessHandle::isAlive)) {
            return;
        }
        tree.forEach(ProcessHandle::destroyForcibly);
        if (!waitFor(c.process, KILL_GRACE)) {
            throw new ServiceManagerException("service " + service + " (pid " + c.process.pid() + ") did not stop "
                    + "within " + timeout + ", nor after it was killed");
        }
    }

    private static boolean waitFor(Process process, Duration timeout) throws ServiceManagerException {
        try {
            return process.waitFor(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceManagerException("interrupted while waiting for the service process", e);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Under the supervisor, the configured service this manager did not start is the running process itself. */
    private boolean isThisProcess(String service) {
        return supervised && child == null && service != null && service.equals(config.service());
    }

    /**
     * Ends the JVM with {@code code} on a new non-daemon thread and returns at once: {@code System.exit} runs the
     * shutdown hooks, which stop the framework and with it the caller, so the caller must not be the one blocked in it.
     */
    private void exitSoon(int code, String threadName) {
        Thread t = new Thread(() -> exit.accept(code), threadName);
        t.setDaemon(false);
        t.start();
    }

    private boolean installed(String service) {
        Config c = config;
        return service != null && service.equals(c.service()) && !c.command().isBlank();
    }

    private ServiceManagerException notInstalled(String service, String verb) {
        Config c = config;
        return new ServiceManagerException("cannot " + verb + " " + service + ": "
                + (c.command().isBlank() ? "no command is configured (command in " + PID + ")"
                : "this manager runs only the service " + c.service()));
    }

    /** Splits a command line at spaces; double or single quotes keep spaces inside an argument. */
    static List<String> commandLine(String line) throws ServiceManagerException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inToken = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    current.append(ch);
                }
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                inToken = true;
            } else if (Character.isWhitespace(ch)) {
                if (inToken) {
                    out.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(ch);
                inToken = true;
            }
        }
        if (quote != 0) {
            throw new ServiceManagerException("command: unclosed " + quote + " in `" + line + "`");
        }
        if (inToken) {
            out.add(current.toString());
        }
        if (out.isEmpty()) {
            throw new ServiceManagerException("command: empty");
        }
        return out;
    }
}
