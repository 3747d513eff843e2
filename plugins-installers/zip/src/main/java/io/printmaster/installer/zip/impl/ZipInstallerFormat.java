package io.printmaster.installer.zip.impl;

import io.printmaster.api.support.ArchiveIndex;
import io.printmaster.api.support.ArchiveLimits;

import io.printmaster.api.installer.AppendableInstallerFormat;
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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@code zip} installer format: the official Windows zip with the fleet's files added inside its top-level folder.
 *
 * <p>Fast path ({@link ZipAppender}), when no fleet file replaces an entry and the layout is one it can account for
 * byte by byte: the official bytes up to the central directory are copied as one block by the kernel
 * ({@code transferTo}), the fleet's entries appended, then the original central directory records and the new ones.
 * Otherwise unchanged entries are copied raw one by one ({@link ZipFile#getRawInputStream} into
 * {@link ZipArchiveOutputStream#addRawArchiveEntry}). Either way nothing is inflated or recompressed: compressed
 * bytes, CRCs, times, extra fields and unix modes stay as they were. Fleet files are deflated with their own modes; a
 * fleet file replaces an entry of the same path; folders a fleet file needs and the artifact lacks are added (0755).
 * The archive comment, if any, is not carried over.
 *
 * <p>The artifact is checked from its central directory before anything is written: names ({@code ..}, absolute,
 * drive letters, backslashes), duplicates (also after normalisation and ignoring case), one top-level folder, links
 * inside it, no device or fifo entries, and the zip-bomb limits (total size, compression ratio per entry and overall;
 * configuration PID {@value #PID}). Reading an entry back is bounded by its declared size as well.
 *
 * <p>Appendable ({@link AppendableInstallerFormat}): a base is the installer with the public files, cut before its
 * central directory (the fast path's output without its last two parts; off the fast path, the rewritten archive cut
 * the same way); its state holds the central directory records. A tail is the secret files' entries, then the whole
 * central directory and the end record. No zip64: a base or a tail that would need it is refused ("cannot be split"),
 * and the server falls back to a whole encrypted installer.
 */
@Component(service = InstallerFormat.class, configurationPid = ZipInstallerFormat.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        // built-in: a vendor's format of the same type wins
        property = "service.ranking:Integer=-100")
@Designate(ocd = ZipInstallerFormat.Config.class)
@InstallerFormatType(type = ZipInstallerFormat.TYPE_ZIP)
@PluginName("ZIP archive")
public class ZipInstallerFormat implements AppendableInstallerFormat {
    /** Configuration PID (optional): the zip-bomb limits. */
    public static final String PID = "io.printmaster.installer.zip";
    static final String TYPE_ZIP = "zip";

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int MODE_FOLDER = 0755;

    /** The configuration keys. */
    @ObjectClassDefinition(name = "PrintMaster installer format: ZIP",
            description = "ArchiveLimits applied to an official zip before it is repackaged (zip-bomb guard).")
    public @interface Config {
        @AttributeDefinition(name = "Largest total size", description = "The most bytes all entries of an official "
                + "artifact may add up to once inflated (default 2 GiB).")
        long maxUncompressedBytes() default ArchiveLimits.DEFAULT_MAX_UNCOMPRESSED_BYTES;

        @AttributeDefinition(name = "Highest compression ratio", description = "The highest ratio of inflated to "
                + "compressed size, per entry and overall (default 100, for 100:1); judged past 1 MiB.")
        long maxCompressionRatio() default ArchiveLimits.DEFAULT_MAX_RATIO;
    }

    /** Told of each entry written; tests make it fail like a full disk would, halfway through. */
    interface WriteProbe {
        WriteProbe NONE = name -> { };

        void entryWritten(String name) throws IOException;
    }

    private final ArchiveLimits limits;
    private final WriteProbe probe;

    @Activate
    public ZipInstallerFormat(Config config) {
        this(new ArchiveLimits(config.maxUncompressedBytes(), config.maxCompressionRatio()), WriteProbe.NONE);
    }

    ZipInstallerFormat(ArchiveLimits limits) {
        this(limits, WriteProbe.NONE);
    }

    ZipInstallerFormat(ArchiveLimits limits, WriteProbe probe) {
        this.limits = limits;
        this.probe = probe;
    }

    @Override
    public String type() {
        return TYPE_ZIP;
    }

    @Override
    public Availability availability() {
        return Availability.AVAILABLE;
    }

    /** An entry of the official artifact with its path relative to the top folder (empty for the folder itself). */
    private record Checked(ZipArchiveEntry entry, String relative) {
    }

    /** 1980-01-02 UTC: within the zip (DOS) time range in every time zone, for an archive without entry times. */
    private static final long NO_ENTRY_TIME = 315_619_200_000L;

    /**
     * The time of the entries added for the fleet: the official archive's newest entry's, never the clock's, so two
     * servers (replicas) building the same installer from the same inputs write the same bytes.
     */
    private static long fleetEntryTime(Scan scan) {
        long newest = -1;
        for (Checked c : scan.entries()) {
            newest = Math.max(newest, c.entry().getTime());
        }
        return newest < NO_ENTRY_TIME ? NO_ENTRY_TIME : newest;
    }

    /** The checked artifact: its top folder, its entries in physical order, and the index the rules filled. */
    private record Scan(String topFolder, List<Checked> entries, ArchiveIndex index) {
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output)
            throws IOException, InstallerFormatException {
        try (ZipFile zip = open(officialArtifact)) {
            Scan scan = scan(zip, officialArtifact);
            List<String> missingFolders = ArchiveIndex.missingFolders(scan.index().entries(), fleetFiles);
            Path target = output.toAbsolutePath();
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
            boolean moved = false;
            try {
                boolean replaces = fleetFiles.paths().stream().anyMatch(scan.index().entries()::containsKey);
                if (replaces || !appendTo(officialArtifact, zip, scan, fleetFiles, missingFolders, temp)) {
                    write(zip, scan, fleetFiles, missingFolders, temp);
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                moved = true;
            } finally {
                if (!moved) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /**
     * The base: the fast path's output without the central directory and the end record (the official entries copied,
     * then the public files' entries). Off the fast path (a public file replaces an entry, or a layout the fast path
     * does not trust), the archive is rewritten entry by entry as {@link #repackage} does and cut before its central
     * directory. Refused with "cannot be split" only when the installer would need zip64 (65535 entries or 4 GiB).
     */
    @Override
    public byte[] prepareBase(Path officialArtifact, FleetFiles publicFiles, Path baseOutput)
            throws IOException, InstallerFormatException {
        try (ZipFile zip = open(officialArtifact)) {
            Scan scan = scan(zip, officialArtifact);
            List<String> missingFolders = ArchiveIndex.missingFolders(scan.index().entries(), publicFiles);
            long entryTime = fleetEntryTime(scan);
            long dosTime = ZipAppender.dosTime(entryTime);
            Path target = baseOutput.toAbsolutePath();
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
            boolean moved = false;
            try {
                boolean replaces = publicFiles.paths().stream().anyMatch(scan.index().entries()::containsKey);
                ZipAppender.Base base = replaces ? null
                        : appendBase(officialArtifact, zip, scan, publicFiles, missingFolders, dosTime, temp);
                if (base == null) {
                    write(zip, scan, publicFiles, missingFolders, temp);
                    base = cutBeforeCentralDirectory(temp);
                }
                // room for the tail: a join token and a few more files, far below this
                if (base.entryCount() > 0xFFFF - 64
                        || base.length() + base.centralDirectory().length > 0xFFFF_FFFFL - (1 << 24)) {
                    throw new InstallerFormatException("this artifact cannot be split: with " + base.entryCount()
                            + " entries and " + base.length() + " bytes the installer would need zip64, which the "
                            + "appendable zip format does not write");
                }
                Map<String, ArchiveIndex.Kind> paths = new LinkedHashMap<>(scan.index().entries());
                for (String folder : missingFolders) {
                    paths.put(folder, ArchiveIndex.Kind.DIRECTORY);
                }
                for (String file : publicFiles.paths()) {
                    paths.put(file, ArchiveIndex.Kind.FILE);
                }
                byte[] state = new ZipBaseState(base.length(), scan.topFolder(), dosTime, base.entryCount(),
                        base.centralDirectory(), paths).encode();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                moved = true;
                return state;
            } finally {
                if (!moved) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /**
     * The secret files' entries (deflated, with their modes, the base's time; folders they need that the base lacks),
     * then the central directory (the base's records from the state, then theirs), then the end record.
     */
    @Override
    public byte[] tail(long baseLength, byte[] baseState, FleetFiles tailFiles)
            throws IOException, InstallerFormatException {
        ZipBaseState state = ZipBaseState.decode(baseState);
        if (state.baseLength() != baseLength) {
            throw new InstallerFormatException("the base state was made for a base of " + state.baseLength()
                    + " bytes, not " + baseLength + ": it is another base's");
        }
        List<String> missingFolders = state.checkTail(tailFiles);
        byte[] tail = ZipAppender.complete(state.base(), newEntries(state.topFolder(), tailFiles, missingFolders),
                state.dosTime());
        if (tail == null) {
            throw new InstallerFormatException("this installer cannot be split: base and tail together would need "
                    + "zip64, which the appendable zip format does not write");
        }
        return tail;
    }

    private static List<ZipAppender.NewEntry> newEntries(String topFolder, FleetFiles files, List<String> folders) {
        List<ZipAppender.NewEntry> added = new ArrayList<>();
        for (String folder : folders) {
            added.add(new ZipAppender.NewEntry(topFolder + "/" + folder + "/", null, S_IFDIR | MODE_FOLDER));
        }
        for (FleetFile f : files.files()) {
            added.add(new ZipAppender.NewEntry(topFolder + "/" + f.path(), f.content(), S_IFREG | f.mode()));
        }
        return added;
    }

    /** The fast path for a base; null, with nothing written, when it does not apply. */
    private ZipAppender.Base appendBase(Path official, ZipFile zip, Scan scan, FleetFiles publicFiles,
                                        List<String> missingFolders, long dosTime, Path temp) throws IOException {
        try (FileChannel in = FileChannel.open(official, StandardOpenOption.READ)) {
            ZipAppender.Layout layout = ZipAppender.inspect(in, Collections.list(zip.getEntries()));
            if (layout == null) {
                return null;
            }
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                return ZipAppender.writeEntries(in, layout, newEntries(scan.topFolder(), publicFiles, missingFolders),
                        dosTime, out, probe);
            }
        }
    }

    /** A complete zip written by {@link #write} cut back to its entries; its central directory goes to the state. */
    private static ZipAppender.Base cutBeforeCentralDirectory(Path zipFile) throws IOException, InstallerFormatException {
        ZipAppender.Layout layout;
        try (ZipFile written = open(zipFile); FileChannel channel = FileChannel.open(zipFile, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            layout = ZipAppender.inspect(channel, Collections.list(written.getEntries()));
            if (layout == null) {
                throw new InstallerFormatException("this artifact cannot be split: the rewritten installer needs "
                        + "zip64 or has a layout the appendable zip format cannot extend");
            }
            channel.truncate(layout.centralDirectoryOffset());
        }
        return new ZipAppender.Base(layout.centralDirectoryOffset(), layout.centralDirectory(), layout.entryCount());
    }

    /**
     * The fast path ({@link ZipAppender}): the official file's entries copied as one block, the fleet's entries and a
     * new central directory appended.
     *
     * @return false, with nothing written, when the layout is not one it can trust (then the archive is rewritten)
     */
    private boolean appendTo(Path official, ZipFile zip, Scan scan, FleetFiles fleetFiles, List<String> missingFolders,
                             Path temp) throws IOException {
        try (FileChannel in = FileChannel.open(official, StandardOpenOption.READ)) {
            ZipAppender.Layout layout = ZipAppender.inspect(in, Collections.list(zip.getEntries()));
            if (layout == null) {
                return false;
            }
            List<ZipAppender.NewEntry> added = newEntries(scan.topFolder(), fleetFiles, missingFolders);
            // the temporary file is new and empty: no TRUNCATE_EXISTING, which on ext4 (auto_da_alloc's
            // replace-via-truncate rule) forces the data to disk on close and cost 40 ms on 200 MB here
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                return ZipAppender.write(in, layout, added, fleetEntryTime(scan), out, probe);
            }
        }
    }

    private void write(ZipFile zip, Scan scan, FleetFiles fleetFiles, List<String> missingFolders, Path temp)
            throws IOException, InstallerFormatException {
        long entryTime = fleetEntryTime(scan);
        // a seekable file: sizes and CRCs go into the local headers, no data descriptors
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(temp)) {
            for (Checked c : scan.entries()) {
                if (!c.relative().isEmpty() && fleetFiles.get(c.relative()).isPresent()) {
                    continue; // replaced by the fleet's file
                }
                try (CountingInputStream raw = new CountingInputStream(zip.getRawInputStream(c.entry()))) {
                    out.addRawArchiveEntry(c.entry(), raw);
                    // a short read would leave a local header promising bytes that are not there
                    if (raw.count() != c.entry().getCompressedSize()) {
                        throw new InstallerFormatException("entry '" + c.entry().getName() + "' holds "
                                + raw.count() + " bytes of data, not the " + c.entry().getCompressedSize()
                                + " its central directory record says: the archive is damaged");
                    }
                }
                probe.entryWritten(c.entry().getName());
            }
            for (String folder : missingFolders) {
                ZipArchiveEntry dir = new ZipArchiveEntry(scan.topFolder() + "/" + folder + "/");
                dir.setUnixMode(S_IFDIR | MODE_FOLDER);
                dir.setTime(entryTime);
                out.putArchiveEntry(dir);
                out.closeArchiveEntry();
            }
            for (FleetFile f : fleetFiles.files()) {
                ZipArchiveEntry entry = new ZipArchiveEntry(scan.topFolder() + "/" + f.path());
                entry.setUnixMode(S_IFREG | f.mode());
                entry.setMethod(ZipArchiveEntry.DEFLATED);
                entry.setTime(entryTime);
                out.putArchiveEntry(entry);
                out.write(f.content());
                out.closeArchiveEntry();
                probe.entryWritten(entry.getName());
            }
            out.finish();
        }
    }

    @Override
    public List<InstallerEntry> entries(Path installer) throws IOException, InstallerFormatException {
        try (ZipFile zip = open(installer)) {
            Scan scan = scan(zip, installer);
            List<InstallerEntry> out = new ArrayList<>();
            for (Checked c : scan.entries()) {
                ZipArchiveEntry e = c.entry();
                if (c.relative().isEmpty() || e.isDirectory() || e.isUnixSymlink()) {
                    continue;
                }
                int mode = e.getUnixMode();
                out.add(new InstallerEntry(c.relative(), e.getSize(),
                        mode == 0 ? OptionalInt.empty() : OptionalInt.of(mode & 07777)));
            }
            return out;
        }
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) throws IOException, InstallerFormatException {
        FleetFile.checkPath(path);
        try (ZipFile zip = open(installer)) {
            Scan scan = scan(zip, installer);
            for (Checked c : scan.entries()) {
                ZipArchiveEntry e = c.entry();
                if (!c.relative().equals(path) || e.isDirectory()) {
                    continue;
                }
                if (e.getSize() > Integer.MAX_VALUE - 16) {
                    throw new InstallerFormatException("entry '" + e.getName() + "' is too large to read back: "
                            + e.getSize() + " bytes");
                }
                try (InputStream in = zip.getInputStream(e)) {
                    // the central directory was checked against the limits; the stream must not yield more than it says
                    byte[] content = in.readNBytes((int) e.getSize() + 1);
                    if (content.length != e.getSize()) {
                        throw new InstallerFormatException("entry '" + e.getName() + "' inflates to "
                                + (content.length > e.getSize() ? "more" : "fewer") + " bytes than its declared "
                                + e.getSize() + ": the archive is damaged");
                    }
                    return Optional.of(content);
                } catch (ZipException ex) {
                    throw new InstallerFormatException("entry '" + e.getName() + "' cannot be read: " + ex.getMessage(), ex);
                }
            }
            return Optional.empty();
        }
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }

        long count() {
            return count;
        }
    }

    // the non-deprecated ZipFile.builder() is a commons-io builder type: this keeps commons-io out of the imports
    @SuppressWarnings("deprecation")
    private static ZipFile open(Path file) throws IOException, InstallerFormatException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        try {
            return new ZipFile(file);
        } catch (ZipException e) {
            throw new InstallerFormatException(file.getFileName() + " is not a readable zip archive: " + e.getMessage(), e);
        } catch (IOException e) {
            if (e.getClass() == IOException.class || e instanceof java.io.EOFException) {
                // commons-compress reports a missing or broken central directory as a plain IOException
                throw new InstallerFormatException(file.getFileName() + " is not a readable zip archive: "
                        + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** Applies every rule to the central directory; nothing is inflated. */
    private Scan scan(ZipFile zip, Path file) throws IOException, InstallerFormatException {
        ArchiveIndex index = new ArchiveIndex();
        List<Checked> entries = new ArrayList<>();
        long total = 0;
        long compressedTotal = 0;
        for (ZipArchiveEntry e : Collections.list(zip.getEntriesInPhysicalOrder())) {
            String name = e.getName();
            int type = e.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? e.getUnixMode() & S_IFMT : 0;
            if (type != 0 && type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
                throw new InstallerFormatException("entry '" + name + "' is a device, fifo or socket (unix type 0"
                        + Integer.toOctalString(type) + "), which an installer must not contain");
            }
            boolean link = type == S_IFLNK;
            ArchiveIndex.Kind kind = e.isDirectory() ? ArchiveIndex.Kind.DIRECTORY
                    : link ? ArchiveIndex.Kind.LINK : ArchiveIndex.Kind.FILE;
            String relative = index.add(name, kind);
            if (e.getSize() < 0 || e.getCompressedSize() < 0) {
                throw new InstallerFormatException("entry '" + name + "' has no size in the central directory: the "
                        + "archive is damaged");
            }
            if (link) {
                if (e.getSize() > 4096) {
                    throw new InstallerFormatException("link entry '" + name + "' has a " + e.getSize()
                            + "-byte target, longer than any path");
                }
                index.checkLinkTarget(name, zip.getUnixSymlink(e), false);
            }
            if (limits.ratioExceeded(e.getSize(), e.getCompressedSize())) {
                throw new InstallerFormatException("entry '" + name + "' inflates " + e.getCompressedSize() + " bytes to "
                        + e.getSize() + ", a compression ratio past the limit of " + limits.maxRatio() + ":1 (zip bomb?)");
            }
            total += e.getSize();
            compressedTotal += e.getCompressedSize();
            if (total > limits.maxUncompressedBytes()) {
                throw new InstallerFormatException("the archive inflates to more than the limit of "
                        + limits.maxUncompressedBytes() + " bytes, passed at entry '" + name + "' (zip bomb?)");
            }
            entries.add(new Checked(e, relative));
        }
        if (limits.ratioExceeded(total, compressedTotal)) {
            throw new InstallerFormatException(file.getFileName() + " inflates " + compressedTotal + " bytes to " + total
                    + ", a compression ratio past the limit of " + limits.maxRatio() + ":1 (zip bomb?)");
        }
        return new Scan(index.topFolder(), entries, index);
    }
}
