package io.printmaster.agent.worker.impl;

import io.printmaster.api.service.SelfRestart;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Restarts the agent so that the trampoline boots the slot pointers' choice.
 *
 * <p>Under a supervisor that starts it again after exit code {@value SelfRestart#EXIT_CODE} (it says so with
 * {@code PM_SUPERVISED=1}: {@code bin/pm-agent --supervise}, the shipped systemd unit and launchd plist, the Windows
 * service host when the service's recovery actions restart it), the agent simply exits with that code. Nothing asks
 * the service manager to stop the very process that asks: on Windows {@code sc stop} would end the agent before its
 * {@code sc start}, and the service would stay stopped.
 *
 * <p>Without the variable (a service file from before it existed), the service manager that really runs the agent is
 * asked: of the installed managers, by ranking, the first whose {@link ServiceManager#detect()} is true and which
 * reports the agent's service as running. A host may have systemd and still run the agent under
 * {@code bin/pm-agent --supervise}; asking systemd there would restart nothing. The managers know their own limits:
 * systemd's exits 75 when the unit is this process's (its unit lists {@code RestartForceExitStatus=75}), launchd's
 * {@code kickstart -k} is carried out by launchd itself, and Windows' refuses to stop the service this process runs
 * in. When none can, the update stops before anything is switched ({@code RESTART_FAILED}, saying what to set up).
 */
final class ServiceManagerRestarter implements ProcessControl.Restarter {
    /** The agent's service name under each service system (the files in the distribution's {@code service/}). */
    static final Map<String, String> SERVICE_NAMES = Map.of(
            "systemd", "printmaster-agent",
            "launchd", "io.printmaster.agent",
            "windows", "PrintMasterAgent",
            "process", "printmaster-agent");
    static final Duration RESTART_TIMEOUT = Duration.ofMinutes(2);

    private final Supplier<List<ServiceManager>> managersByRanking;
    private final Optional<String> serviceNameOverride;
    private final boolean supervised;
    private final IntConsumer exit;

    ServiceManagerRestarter(Supplier<List<ServiceManager>> managersByRanking, Optional<String> serviceNameOverride) {
        this(managersByRanking, serviceNameOverride, SelfRestart.supervised(System::getenv), System::exit);
    }

    /** Tests: whether a supervisor restarts this process on exit 75, and what ends the JVM. */
    ServiceManagerRestarter(Supplier<List<ServiceManager>> managersByRanking, Optional<String> serviceNameOverride,
                            boolean supervised, IntConsumer exit) {
        this.managersByRanking = managersByRanking;
        this.serviceNameOverride = serviceNameOverride;
        this.supervised = supervised;
        this.exit = exit;
    }

    /**
     * This restarter with the service managers of now: a worker replaced by the swap it runs loses its references
     * (SCR unbinds them at deactivation), and may still have to restart the agent after the swap.
     */
    @Override
    public ProcessControl.Restarter snapshot() {
        List<ServiceManager> now = List.copyOf(managersByRanking.get());
        return new ServiceManagerRestarter(() -> now, serviceNameOverride, supervised, exit);
    }

    @Override
    public void restart() throws UpdateFailure {
        if (supervised) {
            exitSoon();
            return;
        }
        List<String> seen = new ArrayList<>();
        for (ServiceManager m : managersByRanking.get()) {
            String name = m.name();
            if (!m.detect()) {
                seen.add(name + ": not on this host");
                continue;
            }
            String service = serviceNameOverride.orElse(SERVICE_NAMES.getOrDefault(name, "printmaster-agent"));
            ServiceStatus status;
            try {
                status = m.status(service);
            } catch (ServiceManagerException e) {
                seen.add(name + ": " + e.getMessage());
                continue;
            }
            if (status != ServiceStatus.RUNNING) {
                seen.add(name + ": service " + service + " is " + status.wireName());
                continue;
            }
            try {
                m.restart(service, RESTART_TIMEOUT);
                return;
            } catch (ServiceManagerException e) {
                throw new UpdateFailure("RESTART_FAILED", name + " could not restart " + service + ": "
                        + e.getMessage());
            }
        }
        throw new UpdateFailure("RESTART_FAILED", "nothing would start this agent again after it exits ("
                + SelfRestart.SUPERVISED_ENV + " is not 1) and no service manager runs it, so it cannot restart into "
                + "the new version (" + (seen.isEmpty() ? "none installed" : String.join("; ", seen)) + "): install "
                + "it as a service with the shipped service files (docs/admin-guide.md, \"Restarting itself (exit "
                + "code 75)\") or run it with bin/pm-agent --supervise");
    }

    /**
     * Ends the JVM with exit code 75 on a new non-daemon thread and returns at once: {@code System.exit} runs the
     * shutdown hooks, which stop the framework and with it the caller, so the caller must not be the one blocked in it.
     */
    private void exitSoon() {
        Thread t = new Thread(() -> exit.accept(SelfRestart.EXIT_CODE), "pm-agent-self-restart");
        t.setDaemon(false);
        t.start();
    }
}
