package io.printmaster.api.service;

import io.printmaster.api.plugin.PluginName;
import java.time.Duration;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Controls an installed service through the host's service system: systemd, the Windows service control manager,
 * launchd, or a plain process when there is none. Used for a full install (a new launcher or framework) that a
 * restart must pick up.
 *
 * <p>Register an implementation as an OSGi service with {@link ServiceManagerType} (and {@link PluginName}):
 * <pre>{@code
 * @Component(service = ServiceManager.class)
 * @ServiceManagerType(name = "systemd")
 * @PluginName("systemd")
 * public class SystemdServiceManager implements ServiceManager { ... }
 * }</pre>
 * Several managers are installed everywhere; the one used is the highest-ranked whose {@link #detect()} is true.
 * A generic fallback (a plain process) registers with a low {@code service.ranking}.
 */
@ConsumerType
public interface ServiceManager {

    /** Service property: the manager's name ({@code systemd}, {@code windows}, {@code launchd}, {@code process}). */
    String NAME = "printmaster.service.manager.name";

    /** Service property: the plugin's human-readable name, see {@link PluginName}. */
    String PLUGIN_NAME = PluginName.PROPERTY;

    /** The manager's name, equal to its {@link #NAME} property. */
    String name();

    /**
     * True when this manager applies on this host (systemd is PID 1, this is Windows, …). Cheap, never throws,
     * and false when unsure: a manager that is not sure declines.
     */
    boolean detect();

    /**
     * The state of {@code service}.
     *
     * @throws ServiceManagerException when the service system cannot be asked
     */
    ServiceStatus status(String service) throws ServiceManagerException;

    /**
     * Starts {@code service} and waits until it runs. Starting a running service does nothing.
     *
     * @param timeout how long to wait for it to run
     * @throws ServiceManagerException when it cannot be started or does not run within {@code timeout}
     */
    void start(String service, Duration timeout) throws ServiceManagerException;

    /**
     * Stops {@code service} and waits until it has stopped. Stopping a stopped service does nothing.
     *
     * @param timeout how long to wait for it to stop
     * @throws ServiceManagerException when it cannot be stopped or is still running after {@code timeout}
     */
    void stop(String service, Duration timeout) throws ServiceManagerException;

    /**
     * Stops (if running) and starts {@code service}, waiting until it runs again. When the caller is the service
     * itself, the call may not return: the process ends as part of the restart.
     *
     * @param timeout how long to wait for the whole restart
     * @throws ServiceManagerException when it cannot be restarted or does not run within {@code timeout}
     */
    void restart(String service, Duration timeout) throws ServiceManagerException;
}
