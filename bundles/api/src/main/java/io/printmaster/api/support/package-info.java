/**
 * Helpers for plugin authors and the platform, none of them a contract to implement: running a host tool with a
 * timeout ({@link io.printmaster.api.support.CommandRunner}) and the deadline arithmetic of a service manager's waits
 * ({@link io.printmaster.api.support.ServiceWait}), both for service manager plugins; the archive safety rules every
 * installer format applies ({@link io.printmaster.api.support.ArchiveIndex},
 * {@link io.printmaster.api.support.ArchiveLimits}); the {@code runtime_sha256} rule
 * the server and the agent both apply to a release ({@link io.printmaster.api.support.RuntimeFingerprint}); since 1.1
 * a stream that must keep a minimum average rate ({@link io.printmaster.api.support.PacedInputStream}), for release
 * sources reading from servers that may trickle.
 *
 * <p>Kept apart from the SPI packages ({@code io.printmaster.api.service}, {@code io.printmaster.api.release}, …) so a
 * helper can evolve (a new helper is a minor bump here) without moving the version of a contract plugins implement,
 * and so a plugin's import of a contract does not widen to helpers it never calls.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.printmaster.api.support;
