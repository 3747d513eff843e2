/**
 * Service managers: the {@link io.printmaster.api.service.ServiceManager} contract that stops, starts and restarts
 * the installed PrintMaster service through the host's service system (systemd, Windows services, launchd, or a
 * plain process), and {@link io.printmaster.api.service.ServiceStatus}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.printmaster.api.service;
