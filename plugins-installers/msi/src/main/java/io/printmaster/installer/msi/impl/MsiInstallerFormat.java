package io.printmaster.installer.msi.impl;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.installer.InstallerFormatType;
import io.printmaster.api.plugin.PluginName;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Component;

/**
 * The Windows Installer format: the official Windows agent zip (the official archive layout, docs/release-feed.md: one top-level folder holding
 * {@code bin/pm-agent.cmd}, {@code bin/pm-agent-service.exe}, {@code lib/}, {@code bundle/}, {@code VERSION}, …)
 * plus the fleet's files becomes an x64, per-machine MSI that installs into
 * {@code C:\Program Files\PrintMaster\Agent} and registers the service host {@code bin\pm-agent-service.exe} as the
 * auto-starting Windows service {@value WxsWriter#SERVICE_NAME} (LocalSystem), started on install, stopped and
 * removed on uninstall. See {@link WxsWriter} for the package's content.
 *
 * <p>The MSI is built by {@code wixl} and read back by {@code msiextract} (Debian packages {@code wixl} and
 * {@code msitools}), run as separate processes with a time limit. Without {@code wixl} the format is
 * {@link #availability() unavailable}, saying how to install it; the check is repeated (at most once a minute) while
 * it fails, so installing the package later makes the format available without a restart.
 */
@Component(service = InstallerFormat.class,
        // built-in: a vendor's format of the same type wins
        property = "service.ranking:Integer=-100")
@InstallerFormatType(type = "msi", input = "zip")
@PluginName("Windows Installer (MSI)")
public class MsiInstallerFormat implements InstallerFormat {

    static final String TYPE = "msi";
    static final String WIXL_MISSING = "wixl not found: install the Debian package wixl (apt install wixl msitools)";
    static final String MSIBUILD_MISSING = "msibuild not found: install the Debian package msitools "
            + "(apt install msitools); it writes the service's recovery actions into the MSI";
    static final String MSIEXTRACT_MISSING = "msiextract not found: install the Debian package msitools "
            + "(apt install msitools)";
    static final String NO_SERVICE_HOST = "the official Windows artifact carries no service host "
            + WxsWriter.SERVICE_HOST + ": build it with x86_64-w64-mingw32-gcc";
    /** While unavailable, check again at most this often. */
    static final Duration RECHECK_INTERVAL = Duration.ofMinutes(1);
    static final Duration VERSION_TIMEOUT = Duration.ofSeconds(20);
    /** wixl compresses the whole payload into one cabinet: a few seconds for a usual agent, minutes for 2 GiB. */
    static final Duration DEFAULT_TOOL_TIMEOUT = Duration.ofMinutes(10);

    /** Where msiextract puts the install folder: ProgramFiles64Folder extracts as the output folder itself. */
    static final String EXTRACTED_INSTALL_DIR = "PrintMaster/Agent/";

    /** The first bytes of an MSI (an OLE compound file). */
    private static final byte[] MSI_MAGIC = {(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1,
        0x1A, (byte) 0xE1};

    /** How msitools report trouble on stderr: {@code (msiextract:1234): WARNING **} or {@code CRITICAL **}. */
    private static final Pattern GLIB_COMPLAINT = Pattern.compile("\\(msiextract:\\d+\\): [\\w-]*\\s*(WARNING|CRITICAL) \\*\\*");

    private static final System.Logger LOG = System.getLogger(MsiInstallerFormat.class.getName());

    private final ExternalTools tools;
    private final LongSupplier nanoClock;
    private final Duration toolTimeout;
    private final Payload.Limits limits;

    private final Object availabilityLock = new Object();
    private volatile Availability availability;
    private volatile long checkedAtNanos;

    /** The format as the framework creates it: tools from this process's {@code PATH}. */
    public MsiInstallerFormat() {
        this(ExternalTools.fromEnvironment(), System::nanoTime, DEFAULT_TOOL_TIMEOUT, Payload.Limits.DEFAULT);
    }

    /**
     * For tests: tools looked up in {@code searchPath} (a {@code PATH}-style list), the re-check interval measured
     * on {@code nanoClock}.
     */
    MsiInstallerFormat(String searchPath, LongSupplier nanoClock, Duration toolTimeout, Payload.Limits limits) {
        this(new ExternalTools(searchPath), nanoClock, toolTimeout, limits);
    }

    private MsiInstallerFormat(ExternalTools tools, LongSupplier nanoClock, Duration toolTimeout,
                               Payload.Limits limits) {
        this.tools = tools;
        this.nanoClock = nanoClock;
        this.toolTimeout = toolTimeout;
        this.limits = limits;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Availability availability() {
        Availability known = availability;
        if (known != null && (known.available()
                || nanoClock.getAsLong() - checkedAtNanos < RECHECK_INTERVAL.toNanos())) {
            return known;
        }
        synchronized (availabilityLock) {
            known = availability;
            if (known != null && (known.available()
                    || nanoClock.getAsLong() - checkedAtNanos < RECHECK_INTERVAL.toNanos())) {
                return known; // another thread checked while this one waited
            }
            Availability now = checkWixl();
            if (known == null || !known.equals(now)) {
                LOG.log(now.available() ? Level.INFO : Level.WARNING, "MSI installer format: "
                        + (now.available() ? "available" : "unavailable: " + now.reason().orElseThrow()));
            }
            checkedAtNanos = nanoClock.getAsLong();
            availability = now;
            return now;
        }
    }

    /** Runs {@code wixl --version}: found and working, or why not. */
    private Availability checkWixl() {
        Optional<Path> wixl = tools.find("wixl");
        if (wixl.isEmpty()) {
            return Availability.unavailable(WIXL_MISSING);
        }
        Path log = null;
        try {
            log = Files.createTempFile("pm-wixl-version-", ".log");
            ExternalTools.Result result = ExternalTools.run(List.of(wixl.get().toString(), "--version"),
                    log.getParent(), log, VERSION_TIMEOUT);
            if (result.exitCode() != 0) {
                return Availability.unavailable("wixl at " + wixl.get() + " does not work: 'wixl --version' exited with "
                        + result.exitCode() + ": " + result.quotedOutput());
            }
            return tools.find("msibuild").isPresent() ? Availability.AVAILABLE
                    : Availability.unavailable(MSIBUILD_MISSING);
        } catch (IOException | ExternalTools.TimeoutException e) {
            return Availability.unavailable("wixl at " + wixl.get() + " does not work: " + e.getMessage());
        } finally {
            deleteQuietly(log);
        }
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output)
            throws IOException, InstallerFormatException {
        Availability now = availability();
        if (!now.available()) {
            throw new InstallerFormatException(now.reason().orElseThrow());
        }
        Path wixl = tools.find("wixl").orElseThrow(() -> new InstallerFormatException(WIXL_MISSING));
        Path msibuild = tools.find("msibuild").orElseThrow(() -> new InstallerFormatException(MSIBUILD_MISSING));
        long started = System.nanoTime();
        Path absoluteOutput = output.toAbsolutePath();
        Path partial = absoluteOutput.resolveSibling("." + absoluteOutput.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".partial");
        Path work = Files.createTempDirectory("pm-msi-");
        try {
            Payload payload = Payload.unpack(officialArtifact, work, limits);
            payload.add(fleetFiles.files());
            if (payload.file(WxsWriter.SERVICE_HOST).isEmpty()) {
                throw new InstallerFormatException(NO_SERVICE_HOST);
            }
            Payload.File versionFile = payload.file("VERSION").orElseThrow(() -> new InstallerFormatException(
                    "the official Windows artifact has no VERSION file, so the MSI's ProductVersion is unknown"));
            String agentVersion = readVersion(versionFile).strip();
            String productVersion = MsiProductVersion.of(agentVersion);
            Path wxs = work.resolve("agent.wxs");
            Files.writeString(wxs, WxsWriter.write(payload, productVersion, agentVersion, work), StandardCharsets.UTF_8);

            List<String> command = List.of(wixl.toString(), "-a", "x64", "-D", WxsWriter.DOLLAR_VARIABLE + "=$",
                    "-o", partial.toString(), wxs.toString());
            ExternalTools.Result result = runTool(command, work, work.resolve("wixl.log"));
            if (result.exitCode() != 0 || !Files.isRegularFile(partial)) {
                throw new InstallerFormatException("wixl could not build the MSI (exit code " + result.exitCode()
                        + "): " + result.quotedOutput());
            }
            // the service's recovery actions, which wixl cannot write (see ServiceRecovery)
            List<String> recovery = new ArrayList<>(List.of(msibuild.toString(), partial.toString()));
            recovery.addAll(ServiceRecovery.msibuildQueries(WxsWriter.SERVICE_NAME, WxsWriter.serviceComponentId()));
            result = runTool(recovery, work, work.resolve("msibuild.log"));
            if (result.exitCode() != 0) {
                throw new InstallerFormatException("msibuild could not add the service's recovery actions to the MSI "
                        + "(exit code " + result.exitCode() + "): " + result.quotedOutput());
            }
            moveIntoPlace(partial, absoluteOutput);
            LOG.log(Level.INFO, "built MSI " + absoluteOutput + " (" + payload.files().size() + " files, "
                    + Files.size(absoluteOutput) + " bytes) in " + (System.nanoTime() - started) / 1_000_000 + " ms");
        } finally {
            deleteQuietly(partial);
            deleteTree(work);
        }
    }

    private static String readVersion(Payload.File versionFile) throws IOException, InstallerFormatException {
        if (versionFile.size() > 256) {
            throw new InstallerFormatException("the VERSION file of the official Windows artifact is "
                    + versionFile.size() + " bytes long; a version is a short line");
        }
        return Files.readString(versionFile.content(), StandardCharsets.UTF_8);
    }

    private static void moveIntoPlace(Path partial, Path output) throws IOException {
        try {
            Files.move(partial, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // same folder, so this happens only on unusual file systems; still never a half-written output
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public List<InstallerEntry> entries(Path installer) throws IOException, InstallerFormatException {
        Path work = Files.createTempDirectory("pm-msi-read-");
        try {
            Path root = extract(installer, work);
            List<InstallerEntry> out = new ArrayList<>();
            for (Path file : installedFiles(root)) {
                out.add(new InstallerEntry(relative(root, file), Files.size(file), OptionalInt.empty()));
            }
            return out;
        } finally {
            deleteTree(work);
        }
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) throws IOException, InstallerFormatException {
        FleetFile.checkPath(path);
        Path work = Files.createTempDirectory("pm-msi-read-");
        try {
            Path root = extract(installer, work);
            for (Path file : installedFiles(root)) {
                if (relative(root, file).equals(path)) {
                    return Optional.of(Files.readAllBytes(file));
                }
            }
            return Optional.empty();
        } finally {
            deleteTree(work);
        }
    }

    /**
     * Extracts {@code installer} with msiextract into {@code work/files}.
     *
     * @return the extracted install folder ({@code PrintMaster/Agent} under the output folder); it may not exist
     *         when the MSI installs nothing there
     */
    private Path extract(Path installer, Path work) throws IOException, InstallerFormatException {
        Path msiextract = tools.find("msiextract").orElseThrow(
                () -> new InstallerFormatException(MSIEXTRACT_MISSING));
        checkMagic(installer);
        Path out = Files.createDirectory(work.resolve("files"));
        List<String> command = List.of(msiextract.toString(), "-C", out.toString(),
                installer.toAbsolutePath().toString());
        ExternalTools.Result result = runTool(command, work, work.resolve("msiextract.log"));
        // msiextract exits 0 even for a file it cannot open; its complaints say so
        if (result.exitCode() != 0 || GLIB_COMPLAINT.matcher(result.output()).find()) {
            throw new InstallerFormatException("msiextract could not read " + installer.getFileName()
                    + " as an MSI (exit code " + result.exitCode() + "): " + result.quotedOutput());
        }
        return out.resolve(EXTRACTED_INSTALL_DIR);
    }

    private static void checkMagic(Path installer) throws IOException, InstallerFormatException {
        byte[] head;
        try (InputStream in = Files.newInputStream(installer)) {
            head = in.readNBytes(MSI_MAGIC.length);
        }
        if (!Arrays.equals(head, MSI_MAGIC)) {
            throw new InstallerFormatException(installer.getFileName() + " is not an MSI (no compound-file header)");
        }
    }

    /** The regular files under the install folder, by path; nothing when it was not extracted. */
    private static List<Path> installedFiles(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> relative(root, p))).toList();
        }
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace('\\', '/');
    }

    private ExternalTools.Result runTool(List<String> command, Path workDir, Path log)
            throws IOException, InstallerFormatException {
        try {
            return ExternalTools.run(command, workDir, log, toolTimeout);
        } catch (ExternalTools.TimeoutException e) {
            throw new InstallerFormatException(e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete " + file + ": " + e);
        }
    }

    /** Deletes a work folder; a failure is logged, never hides the result or the real error. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete the work folder " + dir + ": " + e);
        }
    }
}
