/**
 * Versions and the rules for choosing one: {@link io.printmaster.api.version.SemanticVersion} (SemVer 2.0.0 with
 * its precedence), {@link io.printmaster.api.version.VersionPin} (a line such as {@code 0.9.x} a fleet stays on),
 * {@link io.printmaster.api.version.PinStrategy} (how a pin follows the installed version) and
 * {@link io.printmaster.api.version.VersionSelector} (which of the available versions an installation moves to).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.api.version;
