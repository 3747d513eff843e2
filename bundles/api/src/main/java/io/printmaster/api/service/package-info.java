/**
 * Service managers: the {@link io.printmaster.api.service.ServiceManager} contract that stops, starts and restarts
 * the installed PrintMaster service through the host's service system (systemd, Windows services, launchd, or a
 * plain process), and {@link io.printmaster.api.service.ServiceStatus}.
 *
 * <p>2.0: {@code CommandRunner} and {@code ServiceWait}, helpers rather than contract, moved to
 * {@code io.printmaster.api.support}.
 *
 * <p>2.1: {@link io.printmaster.api.service.SelfRestart}, the exit code 75 that asks the service manager for a
 * restart and the {@code PM_SUPERVISED} variable that says one will come.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.1.0")
package io.printmaster.api.service;
