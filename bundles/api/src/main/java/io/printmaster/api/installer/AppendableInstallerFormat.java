package io.printmaster.api.installer;

import java.io.IOException;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An installer format that builds an installer in two parts: a large <em>base</em> holding the official artifact and
 * the fleet's public files (server URL, policy, trust anchors, CA bundle), made once and cached as it is, and a small
 * <em>tail</em> holding the secret files (the join token), made for each download. The base followed byte for byte
 * by a tail is a complete installer of the format, the same as {@link #repackage} with all the files would give in
 * content (not necessarily in bytes).
 *
 * <p>Why: an installer that carries a join token must not sit in a cache in plain text. With this split the cached
 * part holds no secret, so the server serves it as it is (no decryption per download), and the secret exists only
 * in memory, per request. Formats whose packages cannot be extended at the end (an MSI, whose tables and cabinet are
 * one structure) implement only {@link InstallerFormat}; the server then encrypts the whole installer at rest.
 *
 * <p>Register the implementation as an {@link InstallerFormat} service as usual; the server checks for this
 * interface on the service object.
 *
 * @since 1.2
 */
@ConsumerType
public interface AppendableInstallerFormat extends InstallerFormat {

    /**
     * Writes the base of an installer: {@code officialArtifact} with {@code publicFiles} added (replacing artifact
     * files at the same paths), in a form a {@link #tail} completes. Same checks and the same atomicity as
     * {@link #repackage}: on failure {@code baseOutput} does not exist.
     *
     * @return what {@link #tail} needs to know about this base (for a zip, its central directory), opaque to the
     *         server, which keeps it beside the base; at most 16 MiB
     * @throws InstallerFormatException when the artifact is refused (not of this format, damaged, unsafe)
     * @throws IOException              when reading or writing files fails
     */
    byte[] prepareBase(Path officialArtifact, FleetFiles publicFiles, Path baseOutput)
            throws IOException, InstallerFormatException;

    /**
     * The bytes that follow a base made by {@link #prepareBase} to make a complete installer that also carries
     * {@code tailFiles}. Deterministic: the same base state and files give the same bytes, so a download can be
     * resumed with a byte range across base and tail.
     *
     * @param baseLength the base's size in bytes
     * @param baseState  what {@link #prepareBase} returned for that base
     * @param tailFiles  the secret files, whose paths the base does not hold
     * @throws InstallerFormatException when {@code baseState} is not this format's, or a tail file collides with a
     *                                  path of the base
     * @throws IOException              when building the bytes fails
     */
    byte[] tail(long baseLength, byte[] baseState, FleetFiles tailFiles) throws IOException, InstallerFormatException;
}
