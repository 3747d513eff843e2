package io.printmaster.servicemanager.launchd.impl;

import io.printmaster.api.support.CommandRunner;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceManagerType;
import io.printmaster.api.service.ServiceStatus;
import io.printmaster.api.support.ServiceWait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;

/**
 * Controls a launchd system daemon with {@code launchctl}: {@code print system/<label>} for the state,
 * {@code kickstart system/<label>} to start, {@code kickstart -k} to restart (kill and start again),
 * {@code bootout system/<label>} to stop (a daemon with {@code KeepAlive} would be started again by launchd after a
 * mere kill), and {@code bootstrap system <plist>} to load it again after a bootout. The service name is the
 * daemon's label; its property list is {@code /Library/LaunchDaemons/<label>.plist}.
 *
 * <p>A daemon launchd does not know is stopped when its property list is installed (booted out), and not installed
 * otherwise.
 */
@Component(service = ServiceManager.class, property = "service.ranking:Integer=-100")
@ServiceManagerType(name = LaunchdServiceManager.NAME)
@PluginName("launchd")
public class LaunchdServiceManager implements ServiceManager {
    static final String NAME = "launchd";
    static final String TOOL = "launchctl";
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    /** launchctl's exit code for "Could not find service … in domain for system" (ESRCH-like, 113 on macOS). */
    private static final int NOT_FOUND = 113;
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}");
    private static final Pattern STATE = Pattern.compile("(?m)^\\s*state = (.+?)\\s*$");
    private static final Pattern LAST_EXIT = Pattern.compile("(?m)^\\s*last exit code = (-?\\d+)");

    private final CommandRunner runner;
    private final String osName;
    private final Path daemonsDir;
    private final Duration queryTimeout;

    public LaunchdServiceManager() {
        this(CommandRunner.systemPath(), System.getProperty("os.name", ""), Path.of("/Library/LaunchDaemons"),
                QUERY_TIMEOUT);
    }

    /** Tests: a search path with a fake launchctl, the OS name, the property-list folder, the query timeout. */
    LaunchdServiceManager(List<Path> searchPath, String osName, Path daemonsDir, Duration queryTimeout) {
        this.runner = new CommandRunner(searchPath);
        this.osName = osName;
        this.daemonsDir = daemonsDir;
        this.queryTimeout = queryTimeout;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean detect() {
        try {
            return osName.toLowerCase(Locale.ROOT).startsWith("mac") && runner.find(TOOL).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public ServiceStatus status(String service) throws ServiceManagerException {
        return status(check(service), queryTimeout);
    }

    private ServiceStatus status(String label, Duration timeout) throws ServiceManagerException {
        CommandRunner.Result r = runner.run(TOOL, timeout, "print", target(label));
        if (notFound(r)) {
            return Files.isRegularFile(plist(label)) ? ServiceStatus.STOPPED : ServiceStatus.NOT_INSTALLED;
        }
        Matcher state = STATE.matcher(r.output());
        if (r.exitCode() != 0 || !state.find()) {
            throw new ServiceManagerException("launchd answered something unexpected for " + label + ": "
                    + r.describe());
        }
        return switch (state.group(1)) {
            case "running" -> ServiceStatus.RUNNING;
            case "spawn scheduled", "spawning", "xpcproxy" -> ServiceStatus.STARTING;
            case "not running", "waiting", "exited" -> lastExitCode(r.output()) == 0 ? ServiceStatus.STOPPED
                    : ServiceStatus.FAILED;
            default -> throw new ServiceManagerException("launchd reported a state this manager does not know for "
                    + label + " (" + state.group(1) + "): " + r.describe());
        };
    }

    /** The "last exit code" line; {@code (never exited)} or none counts as 0. */
    private static int lastExitCode(String output) {
        Matcher m = LAST_EXIT.matcher(output);
        return m.find() ? (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Long.parseLong(m.group(1))))
                : 0;
    }

    private static boolean notFound(CommandRunner.Result r) {
        return r.exitCode() == NOT_FOUND || r.output().contains("Could not find service");
    }

    @Override
    public void start(String service, Duration timeout) throws ServiceManagerException {
        String label = check(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        start(label, deadline, "start");
    }

    private void start(String label, long deadline, String verb) throws ServiceManagerException {
        CommandRunner.Result print = runner.run(TOOL, ServiceWait.remaining(deadline, label, verb), "print", target(label));
        if (notFound(print)) {
            if (!Files.isRegularFile(plist(label))) {
                throw new ServiceManagerException("cannot " + verb + " " + label + ": launchd does not know it and "
                        + plist(label) + " does not exist");
            }
            command(label, verb, deadline, "bootstrap", "system", plist(label).toString());
        } else if (status(label, ServiceWait.remaining(deadline, label, verb)) == ServiceStatus.RUNNING) {
            return;
        }
        command(label, verb, deadline, "kickstart", target(label));
        await(label, ServiceStatus.RUNNING, verb, deadline);
    }

    @Override
    public void stop(String service, Duration timeout) throws ServiceManagerException {
        String label = check(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        ServiceStatus now = status(label, ServiceWait.remaining(deadline, label, "stop"));
        if (now == ServiceStatus.NOT_INSTALLED) {
            throw new ServiceManagerException("cannot stop " + label + ": it is not installed");
        }
        CommandRunner.Result print = runner.run(TOOL, ServiceWait.remaining(deadline, label, "stop"), "print", target(label));
        if (notFound(print)) {
            return; // booted out already
        }
        command(label, "stop", deadline, "bootout", target(label));
        await(label, ServiceStatus.STOPPED, "stop", deadline);
    }

    @Override
    public void restart(String service, Duration timeout) throws ServiceManagerException {
        String label = check(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        CommandRunner.Result print = runner.run(TOOL, ServiceWait.remaining(deadline, label, "restart"), "print", target(label));
        if (notFound(print)) {
            start(label, deadline, "restart");
            return;
        }
        command(label, "restart", deadline, "kickstart", "-k", target(label));
        await(label, ServiceStatus.RUNNING, "restart", deadline);
    }

    private void command(String label, String verb, long deadline, String... args) throws ServiceManagerException {
        CommandRunner.Result r = runner.run(TOOL, ServiceWait.remaining(deadline, label, verb), args);
        if (r.exitCode() != 0) {
            throw new ServiceManagerException("launchd could not " + verb + " " + label + ": " + r.describe());
        }
    }

    private void await(String label, ServiceStatus wanted, String verb, long deadline) throws ServiceManagerException {
        ServiceStatus last = null;
        while (true) {
            ServiceStatus now = ServiceWait.query(deadline, label, verb, last, timeout -> status(label, timeout));
            last = now;
            if (now == wanted || (wanted == ServiceStatus.STOPPED && now == ServiceStatus.FAILED)) {
                return;
            }
            if (wanted == ServiceStatus.RUNNING && now == ServiceStatus.NOT_INSTALLED) {
                throw new ServiceManagerException(label + " did not " + verb + ": it is " + now);
            }
            if (System.nanoTime() + POLL.toNanos() - deadline > 0) {
                throw new ServiceManagerException(label + " did not " + verb + " in time: it is still " + now);
            }
            ServiceWait.pause(POLL);
        }
    }

    private Path plist(String label) {
        return daemonsDir.resolve(label + ".plist");
    }

    private static String target(String label) {
        return "system/" + label;
    }



    static String check(String service) throws ServiceManagerException {
        if (service == null || !LABEL.matcher(service).matches()) {
            throw new ServiceManagerException("service: not a valid launchd label: " + service);
        }
        return service;
    }
}
