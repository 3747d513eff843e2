package io.printmaster.api.installer;

import io.printmaster.api.plugin.PluginName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of installer package (ZIP, TAR, MSI, …) that the server can repackage per fleet: the official artifact
 * plus the fleet's files (join token, CA certificate, policy), so that a host installed from it joins its fleet
 * without further setup.
 *
 * <p>Register an implementation as an OSGi service with {@link InstallerFormatType} (and {@link PluginName}):
 * <pre>{@code
 * @Component(service = InstallerFormat.class)
 * @InstallerFormatType(type = "msi")
 * @PluginName("Windows Installer (MSI)")
 * public class MsiInstallerFormat implements InstallerFormat { ... }
 * }</pre>
 * The server picks the format whose {@link #TYPE} is the format asked for and gives it the official artifact whose
 * format is the plugin's {@link #INPUT} (its type unless it says otherwise). Built-in formats register with
 * a low {@code service.ranking}, so a vendor's format of the same type wins.
 *
 * <p>Paths of fleet files and entries are relative to the installation's home directory; the format maps them
 * into its own layout (inside an archive's single top-level folder, into the MSI's install directory).
 * Implementations must be safe for concurrent use on different files.
 */
@ConsumerType
public interface InstallerFormat {

    /** Service property: the format's type, equal to {@link #type()}. */
    String TYPE = "printmaster.installer.format.type";

    /**
     * Service property: the format of the official artifact this format takes as input ({@code zip} for an MSI
     * format), when it differs from {@link #TYPE}; absent or empty means the same as {@link #TYPE}.
     *
     * @since 1.1
     */
    String INPUT = "printmaster.installer.format.input";

    /** Service property: the plugin's human-readable name, see {@link PluginName}. */
    String PLUGIN_NAME = PluginName.PROPERTY;

    /** The format this plugin handles, as release assets name it: {@code zip}, {@code tar.gz}, {@code msi}. */
    String type();

    /** Whether this format works on this host now (an external tool may be missing), and why not. */
    Availability availability();

    /**
     * Writes {@code output}: {@code officialArtifact} with {@code fleetFiles} added; a fleet file replaces an
     * artifact file at the same path. Nothing half-written is left behind: on failure {@code output} does not
     * exist (implementations write a temporary file and move it into place).
     *
     * @throws InstallerFormatException when the artifact is not of this format or is damaged, or the format's tool
     *                                  fails, or the format is not {@link #availability() available}
     * @throws IOException              when reading or writing files fails
     */
    void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output)
            throws IOException, InstallerFormatException;

    /**
     * The files in an installer of this format, in the format's order.
     *
     * @throws InstallerFormatException when {@code installer} is not of this format or is damaged
     * @throws IOException              when reading fails
     */
    List<InstallerEntry> entries(Path installer) throws IOException, InstallerFormatException;

    /**
     * The bytes of one file of an installer, to check what a repackaged installer carries.
     *
     * @param path relative to the installation's home, as in {@link FleetFile#path()}
     * @return the bytes, or empty when the installer has no such file
     * @throws InstallerFormatException when {@code installer} is not of this format or is damaged
     * @throws IOException              when reading fails
     */
    Optional<byte[]> readBack(Path installer, String path) throws IOException, InstallerFormatException;
}
