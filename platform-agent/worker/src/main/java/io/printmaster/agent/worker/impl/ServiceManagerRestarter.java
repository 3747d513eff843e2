package io.printmaster.agent.worker.impl;

import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerException;
import io.printmaster.api.service.ServiceStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Restarts the agent through the service manager that really runs it: of the installed managers, by ranking, the
 * first whose {@link ServiceManager#detect()} is true and which reports the agent's service as running. A host may
 * have systemd and still run the agent under {@code bin/pm-agent --supervise}; asking systemd there would restart
 * nothing. When none runs it, the update stops before anything is switched ({@code RESTART_FAILED}).
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

    ServiceManagerRestarter(Supplier<List<ServiceManager>> managersByRanking, Optional<String> serviceNameOverride) {
        this.managersByRanking = managersByRanking;
        this.serviceNameOverride = serviceNameOverride;
    }

    /**
     * This restarter with the service managers of now: a worker replaced by the swap it runs loses its references
     * (SCR unbinds them at deactivation), and may still have to restart the agent after the swap.
     */
    @Override
    public ProcessControl.Restarter snapshot() {
        List<ServiceManager> now = List.copyOf(managersByRanking.get());
        return new ServiceManagerRestarter(() -> now, serviceNameOverride);
    }

    @Override
    public void restart() throws UpdateFailure {
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
        throw new UpdateFailure("RESTART_FAILED", "no service manager runs this agent, so it cannot restart into "
                + "the new version (" + (seen.isEmpty() ? "none installed" : String.join("; ", seen)) + "): install "
                + "it as a service (docs/admin-guide.md) or run it with bin/pm-agent --supervise");
    }
}
