package io.printmaster.servicemanager.windows.impl;

import io.printmaster.api.support.CommandRunner;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceManagerType;
import io.printmaster.api.service.SelfRestart;
import io.printmaster.api.service.ServiceStatus;
import io.printmaster.api.support.ServiceWait;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;

/**
 * Controls a Windows service through the service control manager with {@code sc.exe}: {@code query}, {@code start},
 * {@code stop}. sc.exe returns as soon as the control manager has accepted the request (the state is then
 * {@code START_PENDING} or {@code STOP_PENDING}), so the state is polled until it is the wanted one or the timeout
 * has passed.
 *
 * <p><b>Restarting the service this process runs in</b> is refused: {@code sc stop} would end this process (the
 * service host ends its JVM) before {@code sc start} could run, leaving the service stopped. Such a process restarts
 * itself instead by exiting with {@link SelfRestart#EXIT_CODE}, which the service host turns into a service-specific
 * error that the service's recovery actions answer with a start; the host sets {@link SelfRestart#SUPERVISED_ENV}
 * when those are configured, and callers check that first. The service's process id ({@code sc.exe queryex}) tells
 * whether it is this process or its parent (the host).
 *
 * <p>sc.exe's field labels are translated on non-English Windows; the state's number and constant name
 * ({@code 4  RUNNING}) and the error numbers ({@code FAILED 1060}) are not, so only those are parsed.
 */
@Component(service = ServiceManager.class, property = "service.ranking:Integer=-100")
@ServiceManagerType(name = WindowsServiceManager.NAME)
@PluginName("Windows services")
public class WindowsServiceManager implements ServiceManager {
    static final String NAME = "windows";
    static final String TOOL = "sc.exe";
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    /** ERROR_SERVICE_DOES_NOT_EXIST. */
    private static final int DOES_NOT_EXIST = 1060;
    /** ERROR_SERVICE_ALREADY_RUNNING, answered by {@code sc start} on a running service. */
    private static final int ALREADY_RUNNING = 1056;
    /** ERROR_SERVICE_NOT_ACTIVE, answered by {@code sc stop} on a stopped service. */
    private static final int NOT_ACTIVE = 1062;
    /** ERROR_SERVICE_NEVER_STARTED: the exit code of a service that has not run since boot; not a failure. */
    private static final int NEVER_STARTED = 1077;
    /** ERROR_SERVICE_SPECIFIC_ERROR: the service's own code is in SERVICE_EXIT_CODE. */
    private static final int SERVICE_SPECIFIC = 1066;

    private static final Pattern STATE = Pattern.compile(
            "(?m)^\\s*\\S[^:\\r\\n]*:\\s*([1-7])\\s+(STOPPED|START_PENDING|STOP_PENDING|RUNNING|CONTINUE_PENDING"
                    + "|PAUSE_PENDING|PAUSED)\\s*$");
    private static final Pattern CODE = Pattern.compile("(?m)^\\s*(WIN32_EXIT_CODE|SERVICE_EXIT_CODE)\\s*:\\s*(\\d+)");
    /** {@code PID : 1234} in {@code sc.exe queryex}'s answer (0 while the service does not run). */
    private static final Pattern PID = Pattern.compile("(?m)^\\s*PID\\s*:\\s*(\\d+)\\s*$");
    private static final Pattern SC_ERROR = Pattern.compile("\\[SC\\]\\s*\\S+\\s+FAILED\\s+(\\d+)");
    /** Service names: no slashes (the control manager refuses them), no leading "\\" (sc.exe reads a server name). */
    private static final Pattern NAME_RULE = Pattern.compile("[A-Za-z0-9_.$-][A-Za-z0-9_.$ -]{0,255}");

    private final CommandRunner runner;
    private final String osName;
    private final Duration queryTimeout;
    /** This process and its parent (the service host, when a service runs this process). */
    private final Set<Long> ownProcesses;

    public WindowsServiceManager() {
        this(CommandRunner.systemPath(), System.getProperty("os.name", ""), QUERY_TIMEOUT, thisProcessAndParent());
    }

    /** Tests: a search path with a fake sc.exe, the operating system's name, how long a query may take. */
    WindowsServiceManager(List<Path> searchPath, String osName, Duration queryTimeout) {
        this(searchPath, osName, queryTimeout, Set.of());
    }

    /** Tests: also the process ids that count as this process (this one and the service host above it). */
    WindowsServiceManager(List<Path> searchPath, String osName, Duration queryTimeout, Set<Long> ownProcesses) {
        this.runner = new CommandRunner(searchPath);
        this.osName = osName;
        this.queryTimeout = queryTimeout;
        this.ownProcesses = ownProcesses;
    }

    private static Set<Long> thisProcessAndParent() {
        ProcessHandle self = ProcessHandle.current();
        return Stream.concat(Stream.of(self), self.parent().stream()).map(ProcessHandle::pid)
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean detect() {
        try {
            return osName.toLowerCase(Locale.ROOT).startsWith("windows") && runner.find(TOOL).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public ServiceStatus status(String service) throws ServiceManagerException {
        return status(check(service), queryTimeout);
    }

    private ServiceStatus status(String service, Duration timeout) throws ServiceManagerException {
        CommandRunner.Result r = runner.run(TOOL, timeout, "query", service);
        Integer error = scError(r);
        if (error != null && error == DOES_NOT_EXIST) {
            return ServiceStatus.NOT_INSTALLED;
        }
        Matcher state = STATE.matcher(r.output());
        if (error != null || r.exitCode() != 0 || !state.find()) {
            throw new ServiceManagerException("the service control manager answered something unexpected for "
                    + service + ": " + r.describe());
        }
        return switch (state.group(2)) {
            case "RUNNING" -> ServiceStatus.RUNNING;
            case "START_PENDING", "CONTINUE_PENDING" -> ServiceStatus.STARTING;
            case "STOP_PENDING", "PAUSE_PENDING" -> ServiceStatus.STOPPING;
            // paused: the process lives but does no work; for an update it is as good as stopped
            case "PAUSED" -> ServiceStatus.STOPPED;
            default -> exitCode(r.output()) == 0 ? ServiceStatus.STOPPED : ServiceStatus.FAILED;
        };
    }

    /** The stopped service's exit code: WIN32_EXIT_CODE, or SERVICE_EXIT_CODE when that says "service-specific". */
    private static int exitCode(String output) {
        int win32 = 0;
        int specific = 0;
        Matcher m = CODE.matcher(output);
        while (m.find()) {
            int value = (int) Math.min(Integer.MAX_VALUE, Long.parseLong(m.group(2)));
            if (m.group(1).equals("WIN32_EXIT_CODE")) {
                win32 = value;
            } else {
                specific = value;
            }
        }
        if (win32 == NEVER_STARTED) {
            return 0;
        }
        return win32 == SERVICE_SPECIFIC ? specific : win32;
    }

    @Override
    public void start(String service, Duration timeout) throws ServiceManagerException {
        String name = check(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        if (status(name, ServiceWait.remaining(deadline, "service " + name, "start")) == ServiceStatus.RUNNING) {
            return;
        }
        command(name, "start", ALREADY_RUNNING, deadline);
        await(name, ServiceStatus.RUNNING, "start", deadline);
    }

    @Override
    public void stop(String service, Duration timeout) throws ServiceManagerException {
        stop(check(service), System.nanoTime() + timeout.toNanos());
    }

    private void stop(String name, long deadline) throws ServiceManagerException {
        ServiceStatus now = status(name, ServiceWait.remaining(deadline, "service " + name, "stop"));
        if (now == ServiceStatus.NOT_INSTALLED) {
            throw new ServiceManagerException("cannot stop " + name + ": no such service is installed");
        }
        if (now == ServiceStatus.STOPPED || now == ServiceStatus.FAILED) {
            return;
        }
        if (now != ServiceStatus.STOPPING) {
            command(name, "stop", NOT_ACTIVE, deadline);
        }
        await(name, ServiceStatus.STOPPED, "stop", deadline);
    }

    @Override
    public void restart(String service, Duration timeout) throws ServiceManagerException {
        // the control manager has no restart: stop, then start, within the one timeout
        String name = check(service);
        long deadline = System.nanoTime() + timeout.toNanos();
        if (runsThisProcess(name, deadline)) {
            throw new ServiceManagerException("cannot restart the service " + name + " from inside it: it runs this "
                    + "process, which stopping it would end before the start. The process restarts itself by "
                    + "exiting with code " + SelfRestart.EXIT_CODE + " when the service's recovery actions start it "
                    + "again (the service host then sets " + SelfRestart.SUPERVISED_ENV + "=1); set them with: "
                    + "sc.exe failure " + name + " reset= 86400 actions= restart/5000/restart/5000/restart/60000 "
                    + "and sc.exe failureflag " + name + " 1, then restart the service once");
        }
        stop(name, deadline);
        command(name, "start", ALREADY_RUNNING, deadline);
        await(name, ServiceStatus.RUNNING, "restart", deadline);
    }

    /** True when the service's process ({@code sc.exe queryex}) is this process or the service host above it. */
    private boolean runsThisProcess(String name, long deadline) throws ServiceManagerException {
        if (ownProcesses.isEmpty()) {
            return false;
        }
        CommandRunner.Result r = runner.run(TOOL, ServiceWait.remaining(deadline, "service " + name, "restart"),
                "queryex", name);
        Matcher pid = PID.matcher(r.output());
        return r.exitCode() == 0 && pid.find() && ownProcesses.contains(Long.parseLong(pid.group(1)));
    }

    /** Runs {@code sc.exe verb name}; {@code harmless} is the error that means "already so". */
    private void command(String name, String verb, int harmless, long deadline) throws ServiceManagerException {
        CommandRunner.Result r = runner.run(TOOL, ServiceWait.remaining(deadline, "service " + name, verb), verb, name);
        Integer error = scError(r);
        if (r.exitCode() != 0 || error != null) {
            if (r.exitCode() == harmless || (error != null && error == harmless)) {
                return;
            }
            throw new ServiceManagerException("the service control manager could not " + verb + " " + name + ": "
                    + r.describe());
        }
    }

    private void await(String name, ServiceStatus wanted, String verb, long deadline) throws ServiceManagerException {
        ServiceStatus last = null;
        while (true) {
            ServiceStatus now = ServiceWait.query(deadline, "service " + name, verb, last, timeout -> status(name, timeout));
            last = now;
            if (now == wanted || (wanted == ServiceStatus.STOPPED && now == ServiceStatus.FAILED)) {
                return;
            }
            if (wanted == ServiceStatus.RUNNING && (now == ServiceStatus.FAILED || now == ServiceStatus.STOPPED
                    || now == ServiceStatus.NOT_INSTALLED)) {
                throw new ServiceManagerException("service " + name + " did not " + verb + ": it is " + now
                        + describeStopped(name));
            }
            if (System.nanoTime() + POLL.toNanos() - deadline > 0) {
                throw new ServiceManagerException("service " + name + " did not " + verb + " in time: it is still "
                        + now);
            }
            ServiceWait.pause(POLL);
        }
    }

    /** The last query's words, for an admin to read after a failed start. */
    private String describeStopped(String name) {
        try {
            CommandRunner.Result r = runner.run(TOOL, queryTimeout, "query", name);
            return " (exit code " + exitCode(r.output()) + ")";
        } catch (ServiceManagerException e) {
            return "";
        }
    }

    private static Integer scError(CommandRunner.Result r) {
        Matcher m = SC_ERROR.matcher(r.output());
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }



    static String check(String service) throws ServiceManagerException {
        if (service == null || !NAME_RULE.matcher(service).matches()) {
            throw new ServiceManagerException("service: not a valid Windows service name: " + service);
        }
        return service;
    }
}
