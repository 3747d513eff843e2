/**
 * Installer formats: the {@link io.printmaster.api.installer.InstallerFormat} contract that repackages an official
 * artifact (ZIP, TAR, MSI, …) with a fleet's own files ({@link io.printmaster.api.installer.FleetFiles}: join
 * token, CA certificate, policy) and reads such a package back.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.printmaster.api.installer;
