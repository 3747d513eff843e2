package io.printmaster.servicemanager.systemd.impl;

import io.printmaster.api.support.CommandRunner;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceManagerType;
import io.printmaster.api.service.SelfRestart;
import io.printmaster.api.service.ServiceStatus;
import io.printmaster.api.support.ServiceWait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;

/**
 * Controls a systemd unit with {@code systemctl}: {@code is-active} (and, for an inactive unit,
 * {@code show --property=LoadState} to tell "stopped" from "not installed"), {@code start}, {@code stop},
 * {@code restart}. systemctl waits for the start or stop job itself; each call is bounded by the caller's timeout,
 * and the state is then polled until it is the wanted one or the timeout has passed.
 *
 * <p>Applies where systemd is the init system ({@code /run/systemd/system} exists, the test systemd documents in
 * sd_booted(3)) and {@code systemctl} is on the {@code PATH}. A service name without a suffix means a
 * {@code .service} unit.
 *
 * <p><b>Restarting the unit this process runs in.</b> The agent runs as an unprivileged user, which may not ask
 * systemd to restart units, and {@code systemctl restart} of one's own unit would kill the caller mid-call anyway.
 * When {@code /proc/self/cgroup} shows this process inside the unit, {@code restart} instead ends the JVM with
 * exit code {@value #EXIT_RESTART}, which the shipped unit lists in {@code RestartForceExitStatus=}: systemd starts
 * it again at once, through the trampoline. It returns at once; the exit runs on its own thread.
 */
@Component(service = ServiceManager.class, property = "service.ranking:Integer=-100")
@ServiceManagerType(name = SystemdServiceManager.NAME)
@PluginName("systemd")
public class SystemdServiceManager implements ServiceManager {
    static final String NAME = "systemd";
    static final String TOOL = "systemctl";
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    /** Unit names systemd accepts (systemd.unit(5)); never starting with '-', which systemctl would read as an option. */
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.\\\\@][A-Za-z0-9:_.\\\\@-]{0,254}");

    /** The exit code that asks systemd for a restart (EX_TEMPFAIL; the unit's {@code RestartForceExitStatus}). */
    static final int EXIT_RESTART = SelfRestart.EXIT_CODE;

    private final CommandRunner runner;
    private final Path systemdRunDir;
    private final Duration queryTimeout;
    private final Path ownCgroup;
    private final java.util.function.IntConsumer exit;

    public SystemdServiceManager() {
        this(CommandRunner.systemPath(), Path.of("/run/systemd/system"), QUERY_TIMEOUT, Path.of("/proc/self/cgroup"),
                System::exit);
    }

    /** Tests: a search path with a fake systemctl, the marker folder, and how long a status query may take. */
    SystemdServiceManager(List<Path> searchPath, Path systemdRunDir, Duration queryTimeout) {
        this(searchPath, systemdRunDir, queryTimeout, systemdRunDir.resolve("no-cgroup-file"), code -> { });
    }

    /** Tests: also this process's cgroup file and what ends the JVM. */
    SystemdServiceManager(List<Path> searchPath, Path systemdRunDir, Duration queryTimeout, Path ownCgroup,
                          java.util.function.IntConsumer exit) {
        this.runner = new CommandRunner(searchPath);
        this.systemdRunDir = systemdRunDir;
        this.queryTimeout = queryTimeout;
        this.ownCgroup = ownCgroup;
        this.exit = exit;
    }

    /** True when this process runs inside {@code unit} (its cgroup path ends with the unit's name). */
    boolean runsInside(String unit) {
        try {
            for (String line : Files.readAllLines(ownCgroup)) {
                String path = line.substring(line.lastIndexOf(':') + 1);
                if (path.endsWith("/" + unit)) {
                    return true;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no cgroup information: not inside
        }
        return false;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean detect() {
        try {
            return Files.isDirectory(systemdRunDir) && runner.find(TOOL).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public ServiceStatus status(String service) throws ServiceManagerException {
        return status(unit(service), queryTimeout);
    }

    private ServiceStatus status(String unit, Duration timeout) throws ServiceManagerException {
        // is-active prints one state word; its exit code is 0 only for "active", so the word is what counts
        CommandRunner.Result r = runner.run(TOOL, timeout, "is-active", unit);
        String state = r.output().strip();
        switch (state) {
            case "active", "reloading", "refreshing":
                return ServiceStatus.RUNNING;
            case "activating":
                return ServiceStatus.STARTING;
            case "deactivating", "maintenance":
                return ServiceStatus.STOPPING;
            case "failed":
                return ServiceStatus.FAILED;
            case "inactive", "unknown":
                return loaded(unit, timeout) ? ServiceStatus.STOPPED : ServiceStatus.NOT_INSTALLED;
            default:
                throw new ServiceManagerException("systemd answered something unexpected for unit " + unit + ": "
                        + r.describe());
        }
    }

    /** False when systemd has no unit file for {@code unit} ({@code LoadState=not-found}). */
    private boolean loaded(String unit, Duration timeout) throws ServiceManagerException {
        CommandRunner.Result r = runner.run(TOOL, timeout, "show", "--property=LoadState", unit);
        for (String line : r.output().split("\\R")) {
            if (line.startsWith("LoadState=")) {
                return !line.substring("LoadState=".length()).strip().equals("not-found");
            }
        }
        throw new ServiceManagerException("systemd did not report the load state of unit " + unit + ": "
                + r.describe());
    }

    @Override
    public void start(String service, Duration timeout) throws ServiceManagerException {
        String unit = unit(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        if (status(unit, ServiceWait.remaining(deadline, "unit " + unit, "start")) == ServiceStatus.RUNNING) {
            return;
        }
        command(unit, "start", deadline);
        await(unit, ServiceStatus.RUNNING, "start", deadline);
    }

    @Override
    public void stop(String service, Duration timeout) throws ServiceManagerException {
        String unit = unit(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        ServiceStatus now = status(unit, ServiceWait.remaining(deadline, "unit " + unit, "stop"));
        if (now == ServiceStatus.STOPPED || now == ServiceStatus.FAILED) {
            return;
        }
        if (now == ServiceStatus.NOT_INSTALLED) {
            throw new ServiceManagerException("cannot stop unit " + unit + ": it is not installed");
        }
        command(unit, "stop", deadline);
        await(unit, ServiceStatus.STOPPED, "stop", deadline);
    }

    @Override
    public void restart(String service, Duration timeout) throws ServiceManagerException {
        String unit = unit(service);
        if (runsInside(unit)) {
            Thread t = new Thread(() -> exit.accept(EXIT_RESTART), "pm-systemd-self-restart");
            t.start();
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        command(unit, "restart", deadline);
        await(unit, ServiceStatus.RUNNING, "restart", deadline);
    }

    private void command(String unit, String verb, long deadline) throws ServiceManagerException {
        // --no-ask-password: the agent runs unattended; a polkit prompt would only hang until the timeout
        CommandRunner.Result r = runner.run(TOOL, ServiceWait.remaining(deadline, "unit " + unit, verb), "--no-ask-password", verb, unit);
        if (r.exitCode() != 0) {
            throw new ServiceManagerException("systemd could not " + verb + " unit " + unit + ": " + r.describe());
        }
    }

    /** Polls until {@code unit} is {@code wanted}; a stop also accepts "failed" (stopped, with a failure recorded). */
    private void await(String unit, ServiceStatus wanted, String verb, long deadline) throws ServiceManagerException {
        ServiceStatus last = null;
        while (true) {
            ServiceStatus now = ServiceWait.query(deadline, "unit " + unit, verb, last, timeout -> status(unit, timeout));
            last = now;
            if (now == wanted || (wanted == ServiceStatus.STOPPED && now == ServiceStatus.FAILED)) {
                return;
            }
            if (wanted == ServiceStatus.RUNNING && (now == ServiceStatus.FAILED || now == ServiceStatus.NOT_INSTALLED)) {
                throw new ServiceManagerException("unit " + unit + " did not " + verb + ": it is " + now);
            }
            if (System.nanoTime() + POLL.toNanos() - deadline > 0) {
                throw new ServiceManagerException("unit " + unit + " did not " + verb + " in time: it is still "
                        + now);
            }
            ServiceWait.pause(POLL);
        }
    }



    /** The unit name: checked, and {@code .service} added when there is no unit-type suffix. */
    static String unit(String service) throws ServiceManagerException {
        if (service == null || !UNIT.matcher(service).matches()) {
            throw new ServiceManagerException("service: not a valid systemd unit name: " + service);
        }
        return service.matches(".*\\.(service|socket|target|timer|path|mount|scope|slice)") ? service
                : service + ".service";
    }
}
