/**
 * Installer formats: the {@link io.printmaster.api.installer.InstallerFormat} contract that repackages an official
 * artifact (ZIP, TAR, MSI, …) with a fleet's own files ({@link io.printmaster.api.installer.FleetFiles}: join
 * token, CA certificate, policy) and reads such a package back.
 *
 * <p>2.0: {@code ArchiveIndex} and {@code ArchiveLimits}, the archive safety rules every format applies (helpers, not
 * contract), moved to {@code io.printmaster.api.support}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package io.printmaster.api.installer;
