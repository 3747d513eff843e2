package io.printmaster.installer.tar.impl;

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
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@code tar.gz} installer format: the official Linux/macOS tar.gz with the fleet's files added inside its
 * top-level folder.
 *
 * <p>Fast path: the official artifact has the two-member layout (the official archive layout of docs/release-feed.md: the first gzip member holds
 * every tar entry, the second, last one only the end-of-archive zero blocks, ending exactly at the end of the file).
 * Then the output is the first member's bytes copied unchanged plus one new gzip member holding the fleet's entries
 * and a fresh end-of-archive: the same layout, so a repackaged installer repackages the same way. When a fleet file
 * replaces an entry of the artifact, or the layout is not the split one, the archive is rewritten instead (entries
 * copied as tar entries and recompressed at the fastest level), still in the two-member layout.
 *
 * <p>Every artifact is checked in full before the output is visible, which takes one full inflate (the zip-bomb
 * limits are measured while inflating and stop it early; configuration PID {@value #PID}). The first time, that one
 * read of the file also copies it into the temporary output (checking and copying in a single pass; the copy is then
 * cut back to the first member, or thrown away when the check fails or the archive must be rewritten). The verdict is remembered per file
 * ({@link VerdictCache}: path, size, modification and change times, file key), because official artifacts are
 * immutable files in the intake's cache and the same one is repackaged for every fleet; keying on the content's
 * SHA-256 instead was measured to cost more than the inflate it would save (200 MB: 290–390 ms against 55–200 ms).
 *
 * <p>Appendable ({@link AppendableInstallerFormat}): a base is the repackaged installer with the public files, cut
 * before its end-of-archive member; a tail is one member with the secret files and one with a new end-of-archive. A
 * base followed by a tail has the split layout again, so it repackages like any installer of this format.
 */
@Component(service = InstallerFormat.class, configurationPid = TarGzInstallerFormat.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        // built-in: a vendor's format of the same type wins
        property = "service.ranking:Integer=-100")
@Designate(ocd = TarGzInstallerFormat.Config.class)
@InstallerFormatType(type = TarGzInstallerFormat.TYPE_TAR_GZ)
@PluginName("gzipped tar archive")
public class TarGzInstallerFormat implements AppendableInstallerFormat {
    /** Configuration PID (optional): the zip-bomb limits. */
    public static final String PID = "io.printmaster.installer.tar";
    static final String TYPE_TAR_GZ = "tar.gz";

    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int MODE_FOLDER = 0755;
    private static final int BLOCK = 512;
    private static final int COPY_BUFFER = 256 * 1024;

    /** The configuration keys. */
    @ObjectClassDefinition(name = "PrintMaster installer format: tar.gz",
            description = "ArchiveLimits applied to an official tar.gz before it is repackaged (zip-bomb guard).")
    public @interface Config {
        @AttributeDefinition(name = "Largest total size", description = "The most bytes an official artifact may "
                + "inflate to (default 2 GiB).")
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

    /** Sees each checked entry of a scan, with the stream positioned at its content. */
    private interface EntryVisitor {
        /** @return false to stop the scan early (then the verdict is incomplete and not remembered) */
        boolean visit(TarArchiveEntry entry, String relative, TarArchiveInputStream tar) throws IOException;
    }

    /** Carries a visitor's I/O failure past the scan's handling of archive errors. */
    private static final class VisitorFailed extends IOException {
        private static final long serialVersionUID = 1L;

        VisitorFailed(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /**
     * What a full check of an official artifact found.
     *
     * @param topFolder   the single top-level folder
     * @param entries     relative path → kind, the top folder excluded
     * @param owner       the entry whose owner (uid, gid, names) the fleet's entries take: the top folder's
     * @param splitOffset where the last member (only the end-of-archive) starts, or -1 when the layout is not split
     */
    record Verdict(String topFolder, Map<String, ArchiveIndex.Kind> entries, TarArchiveEntry owner, long splitOffset) {
        boolean split() {
            return splitOffset >= 0;
        }
    }

    private final ArchiveLimits limits;
    private final WriteProbe probe;
    private final VerdictCache verdicts = new VerdictCache(64);
    private final java.util.concurrent.atomic.AtomicInteger fullChecks = new java.util.concurrent.atomic.AtomicInteger();

    @Activate
    public TarGzInstallerFormat(Config config) {
        this(new ArchiveLimits(config.maxUncompressedBytes(), config.maxCompressionRatio()), WriteProbe.NONE);
    }

    TarGzInstallerFormat(ArchiveLimits limits) {
        this(limits, WriteProbe.NONE);
    }

    TarGzInstallerFormat(ArchiveLimits limits, WriteProbe probe) {
        this.limits = limits;
        this.probe = probe;
    }

    @Override
    public String type() {
        return TYPE_TAR_GZ;
    }

    @Override
    public Availability availability() {
        return Availability.AVAILABLE;
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output)
            throws IOException, InstallerFormatException {
        build(officialArtifact, fleetFiles, output, true);
    }

    /**
     * The base: what {@link #repackage} writes with the public files, without the last member (the end-of-archive),
     * so it ends right after the member holding the public files. The state is a {@link TarGzBaseState}: the top
     * folder, the owner and time the tail's entries take, and every path of the base. Never refused for its layout:
     * an artifact the fast path does not fit is rewritten, as {@link #repackage} does.
     */
    @Override
    public byte[] prepareBase(Path officialArtifact, FleetFiles publicFiles, Path baseOutput)
            throws IOException, InstallerFormatException {
        Built built = build(officialArtifact, publicFiles, baseOutput, false);
        long mtime = built.mtimeMillis();
        Map<String, ArchiveIndex.Kind> paths = new java.util.LinkedHashMap<>(built.verdict().entries());
        for (String folder : built.missingFolders()) {
            paths.put(folder, ArchiveIndex.Kind.DIRECTORY);
        }
        for (String file : publicFiles.paths()) {
            paths.put(file, ArchiveIndex.Kind.FILE);
        }
        TarArchiveEntry owner = built.verdict().owner();
        return new TarGzBaseState(Files.size(baseOutput), built.verdict().topFolder(),
                owner == null ? 0 : owner.getLongUserId(), owner == null ? 0 : owner.getLongGroupId(),
                owner == null ? "" : owner.getUserName(), owner == null ? "" : owner.getGroupName(), mtime, paths)
                .encode();
    }

    /**
     * Two gzip members: the tail files' entries (and the folders they need that the base lacks) under the base's top
     * folder, with the base's owner and time; then the end-of-archive alone. Built in memory with a fixed gzip header
     * (time 0, no name): the same state and files give the same bytes.
     */
    @Override
    public byte[] tail(long baseLength, byte[] baseState, FleetFiles tailFiles)
            throws IOException, InstallerFormatException {
        TarGzBaseState state = TarGzBaseState.decode(baseState);
        if (state.baseLength() != baseLength) {
            throw new InstallerFormatException("the base state was made for a base of " + state.baseLength()
                    + " bytes, not " + baseLength + ": it is another base's");
        }
        List<String> missingFolders = state.checkTail(tailFiles);
        java.io.ByteArrayOutputStream tarBytes = new java.io.ByteArrayOutputStream();
        TarArchiveOutputStream tar = tarOut(tarBytes, BLOCK);
        java.nio.file.attribute.FileTime mtime = java.nio.file.attribute.FileTime.fromMillis(state.mtimeMillis());
        for (String folder : missingFolders) {
            TarArchiveEntry dir = new TarArchiveEntry(state.topFolder() + "/" + folder + "/");
            state.own(dir);
            dir.setMode(S_IFDIR | MODE_FOLDER);
            dir.setLastModifiedTime(mtime);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
        }
        for (FleetFile f : tailFiles.files()) {
            TarArchiveEntry entry = new TarArchiveEntry(state.topFolder() + "/" + f.path());
            state.own(entry);
            entry.setMode(S_IFREG | f.mode());
            entry.setSize(f.size());
            entry.setLastModifiedTime(mtime);
            tar.putArchiveEntry(entry);
            tar.write(f.content());
            tar.closeArchiveEntry();
        }
        tar.flush();
        byte[] entries = tarBytes.toByteArray();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(entries.length / 2 + 256);
        if (entries.length > 0) {
            out.write(DeterministicGzip.member(entries));
        }
        // two zero blocks, padded to tar's 10240-byte record counting from the tail's first member, as repackage does
        long padded = (entries.length + 2 * BLOCK + 10239) / 10240 * 10240;
        out.write(DeterministicGzip.member(new byte[(int) (padded - entries.length)]));
        return out.toByteArray();
    }

    /** What {@link #build} found and added. */
    private record Built(Verdict verdict, List<String> missingFolders, long mtimeMillis) {
    }

    /**
     * The time of the entries added for the fleet: the official archive's own (its owner entry's, in whole seconds: a
     * tar header holds seconds, and a fraction would add a PAX record to each entry), never the clock's, so that two
     * servers (replicas) building the same installer from the same inputs write the same bytes.
     */
    static long fleetEntryTime(Verdict verdict) {
        TarArchiveEntry owner = verdict.owner();
        if (owner == null || owner.getModTime() == null) {
            return 0L;
        }
        return Math.max(0L, owner.getModTime().getTime() / 1000 * 1000);
    }

    /**
     * Writes {@code output} atomically: the artifact's entries (first member copied, or rewritten), one member with
     * {@code fleetFiles}, and when {@code endOfArchive}, the end-of-archive member.
     */
    private Built build(Path officialArtifact, FleetFiles fleetFiles, Path output, boolean endOfArchive)
            throws IOException, InstallerFormatException {
        VerdictCache.Key key = VerdictCache.Key.of(officialArtifact);
        Verdict remembered = verdicts.get(key);
        if (remembered != null) {
            // checked before the temporary file exists: a refused artifact leaves nothing behind
            ArchiveIndex.missingFolders(remembered.entries(), fleetFiles);
        }
        Path target = output.toAbsolutePath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        boolean moved = false;
        try {
            Built built;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                Verdict verdict = remembered;
                boolean copied = false;
                if (verdict == null) {
                    // the first time: one read of the file both checks it and copies it (the output is a temporary
                    // file, deleted if the check fails), then the copy is cut back to the first member
                    verdict = check(officialArtifact, key, out);
                    copied = true;
                }
                List<String> missingFolders = ArchiveIndex.missingFolders(verdict.entries(), fleetFiles);
                boolean replaces = fleetFiles.paths().stream().anyMatch(verdict.entries()::containsKey);
                if (verdict.split() && !replaces) {
                    if (copied) {
                        out.truncate(verdict.splitOffset());
                        out.position(verdict.splitOffset());
                        probe.entryWritten("(first gzip member)");
                    } else {
                        copyFirstMember(officialArtifact, verdict.splitOffset(), out);
                    }
                } else {
                    out.truncate(0);
                    out.position(0);
                    rewriteEntries(officialArtifact, verdict, fleetFiles, out);
                }
                long mtimeMillis = fleetEntryTime(verdict);
                appendFleetMember(verdict, fleetFiles, missingFolders, out, endOfArchive, mtimeMillis);
                built = new Built(verdict, missingFolders, mtimeMillis);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            return built;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** The official artifact's first member, byte for byte (the kernel copies it). */
    private void copyFirstMember(Path official, long length, FileChannel out) throws IOException {
        try (FileChannel in = FileChannel.open(official, StandardOpenOption.READ)) {
            long done = 0;
            while (done < length) {
                long n = in.transferTo(done, length - done, out);
                if (n <= 0) {
                    throw new IOException("could not copy " + official + " past byte " + done);
                }
                done += n;
            }
            out.position(length);
        }
        probe.entryWritten("(first gzip member)");
    }

    /** One gzip member holding the artifact's entries but those the fleet files replace, and no end-of-archive. */
    private void rewriteEntries(Path official, Verdict verdict, FleetFiles fleetFiles, FileChannel out)
            throws IOException, InstallerFormatException {
        OutputStream channelOut = new BufferedOutputStream(unclosable(Channels.newOutputStream(out)), COPY_BUFFER);
        GZIPOutputStream gzip = new GZIPOutputStream(channelOut, COPY_BUFFER) {
            {
                def.setLevel(Deflater.BEST_SPEED); // the entries are mostly jars: compressed already
            }
        };
        // 512-byte records: nothing is held back, so the member ends exactly after the last entry
        TarArchiveOutputStream tar = tarOut(gzip, BLOCK);
        byte[] buffer = new byte[COPY_BUFFER];
        scan(official, (entry, relative, in) -> {
            if (!relative.isEmpty() && fleetFiles.get(relative).isPresent()) {
                return true;
            }
            tar.putArchiveEntry(entry);
            if (regular(entry)) {
                for (int n; (n = in.read(buffer)) > 0;) {
                    tar.write(buffer, 0, n);
                }
            }
            tar.closeArchiveEntry();
            probe.entryWritten(entry.getName());
            return true;
        });
        tar.flush();
        gzip.finish(); // not tar.finish(): that would write the end-of-archive into this member
        channelOut.flush();
    }

    /**
     * Two last gzip members: the folders and files of the fleet, then the end-of-archive alone, so the output has the
     * official layout again (all members but the last hold entries, the last only the end-of-archive) and is
     * repackaged the same way. A base ({@code endOfArchive} false) stops after the fleet's member: its tail brings
     * the end-of-archive.
     */
    private void appendFleetMember(Verdict verdict, FleetFiles fleetFiles, List<String> missingFolders,
                                   FileChannel out, boolean endOfArchive, long mtimeMillis) throws IOException {
        OutputStream channelOut = new BufferedOutputStream(unclosable(Channels.newOutputStream(out)), 64 * 1024);
        GZIPOutputStream gzip = new GZIPOutputStream(channelOut);
        TarArchiveOutputStream tar = tarOut(gzip, BLOCK);
        java.util.Date now = new java.util.Date(mtimeMillis);
        long written = 0;
        for (String folder : missingFolders) {
            TarArchiveEntry dir = new TarArchiveEntry(verdict.topFolder() + "/" + folder + "/");
            ownedLike(dir, verdict.owner());
            dir.setMode(S_IFDIR | MODE_FOLDER);
            dir.setModTime(now);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
        }
        for (FleetFile f : fleetFiles.files()) {
            TarArchiveEntry entry = new TarArchiveEntry(verdict.topFolder() + "/" + f.path());
            ownedLike(entry, verdict.owner());
            entry.setMode(S_IFREG | f.mode());
            entry.setSize(f.size());
            entry.setModTime(now);
            tar.putArchiveEntry(entry);
            tar.write(f.content());
            tar.closeArchiveEntry();
            probe.entryWritten(entry.getName());
        }
        tar.flush();
        written = tar.getBytesWritten();
        gzip.finish(); // not tar.finish(): the end-of-archive goes into a member of its own
        if (!endOfArchive) {
            channelOut.flush(); // a base: the tail brings the end-of-archive
            return;
        }
        GZIPOutputStream end = new GZIPOutputStream(channelOut);
        // two zero blocks, padded to tar's 10240-byte record counting from the fleet member's start
        long padded = (written + 2 * BLOCK + 10239) / 10240 * 10240;
        end.write(new byte[(int) (padded - written)]);
        end.finish();
        channelOut.flush();
    }

    private static TarArchiveOutputStream tarOut(OutputStream out, int blockSize) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, blockSize);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    private static void ownedLike(TarArchiveEntry entry, TarArchiveEntry owner) {
        entry.setUserId(owner == null ? 0 : owner.getLongUserId());
        entry.setGroupId(owner == null ? 0 : owner.getLongGroupId());
        entry.setUserName(owner == null ? "" : owner.getUserName());
        entry.setGroupName(owner == null ? "" : owner.getGroupName());
    }

    private static OutputStream unclosable(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    @Override
    public List<InstallerEntry> entries(Path installer) throws IOException, InstallerFormatException {
        List<InstallerEntry> out = new ArrayList<>();
        scan(installer, (entry, relative, tar) -> {
            if (!relative.isEmpty() && regular(entry)) {
                out.add(new InstallerEntry(relative, entry.getSize(), OptionalInt.of(entry.getMode() & 07777)));
            }
            return true;
        });
        return out;
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) throws IOException, InstallerFormatException {
        FleetFile.checkPath(path);
        byte[][] found = new byte[1][];
        scan(installer, (entry, relative, tar) -> {
            if (relative.equals(path) && regular(entry)) {
                if (entry.getSize() > Integer.MAX_VALUE - 16) {
                    throw new GzipMembersReader.LimitExceeded("entry '" + entry.getName() + "' is too large to read "
                            + "back: " + entry.getSize() + " bytes");
                }
                found[0] = tar.readNBytes((int) entry.getSize());
                return false;
            }
            return true;
        });
        return Optional.ofNullable(found[0]);
    }

    /** The remembered verdict on this file, or a full check. */
    Verdict verdict(Path official) throws IOException, InstallerFormatException {
        VerdictCache.Key key = VerdictCache.Key.of(official);
        Verdict cached = verdicts.get(key);
        return cached != null ? cached : check(official, key, null);
    }

    /** A full check, remembered; every byte of the file is also written to {@code copy} when it is not null. */
    private Verdict check(Path official, VerdictCache.Key key, FileChannel copy)
            throws IOException, InstallerFormatException {
        Verdict verdict = scan(official, copy, (entry, relative, tar) -> true);
        fullChecks.incrementAndGet();
        verdicts.put(key, verdict);
        return verdict;
    }

    /** How many full checks {@link #verdict} made (the others came from the cache). */
    int fullChecks() {
        return fullChecks.get();
    }

    /** Checks every entry and the gzip layout; the visitor sees each checked entry. */
    private Verdict scan(Path file, EntryVisitor visitor) throws IOException, InstallerFormatException {
        return scan(file, null, visitor);
    }

    /** A scan that also copies every byte it reads of the file to {@code copy} (when not null). */
    private Verdict scan(Path file, FileChannel copy, EntryVisitor visitor) throws IOException, InstallerFormatException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        ArchiveIndex index = new ArchiveIndex();
        String currentEntry = "(archive header)";
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             GzipMembersReader gzip = new GzipMembersReader(channel, limits, copy);
             TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
            TarArchiveEntry owner = null;
            long endOfEntries = 0;
            byte[] sink = new byte[COPY_BUFFER];
            boolean complete = true;
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                String name = entry.getName();
                currentEntry = name;
                gzip.startEntry(name);
                String relative = index.add(name, check(entry));
                if (entry.isSymbolicLink() || entry.isLink()) {
                    index.checkLinkTarget(name, entry.getLinkName(), entry.isLink());
                }
                if (owner == null || relative.isEmpty()) {
                    owner = entry;
                }
                // commons-compress skips the declared size of any entry; so does this
                long dataBlocks = entry.isDirectory() ? 0 : (entry.getSize() + BLOCK - 1) / BLOCK * BLOCK;
                endOfEntries = gzip.inflatedPosition() + dataBlocks;
                boolean more;
                try {
                    more = visitor.visit(entry, relative, tar);
                } catch (GzipMembersReader.LimitExceeded | GzipMembersReader.Damaged e) {
                    throw e;
                } catch (IOException e) {
                    throw new VisitorFailed(e); // the visitor's own failure (writing the output), not the archive's
                }
                if (!more) {
                    complete = false;
                    break;
                }
                // what the visitor left of the entry, read here in large chunks: getNextEntry() would skip it 8 KiB
                // at a time, allocating a buffer for each (a third of the scan's time on 200 MB)
                while (tar.read(sink, 0, sink.length) >= 0) {
                    // drain
                }
            }
            if (!complete) {
                return null;
            }
            currentEntry = "(end of archive)";
            gzip.startEntry(currentEntry);
            // the rest (end-of-archive, further members) is read too: CRCs checked, the layout known
            while (gzip.read(sink, 0, sink.length) >= 0) {
                // drain
            }
            gzip.finishCopy(); // every byte read is in the copy before the caller cuts it back
            return new Verdict(index.topFolder(), Map.copyOf(index.entries()), owner, splitOffset(gzip, endOfEntries));
        } catch (VisitorFailed e) {
            throw e.getCause();
        } catch (GzipMembersReader.CopyFailed e) {
            throw e.getCause(); // writing the copy failed (a full disk): not the archive's fault
        } catch (GzipMembersReader.LimitExceeded | GzipMembersReader.Damaged e) {
            throw new InstallerFormatException(file.getFileName() + ": " + e.getMessage(), e);
        } catch (FileSystemException | ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            // commons-compress reports a damaged tar header as a plain IOException
            throw new InstallerFormatException(file.getFileName() + " is not a readable tar.gz (at entry '"
                    + currentEntry + "'): " + e.getMessage(), e);
        }
    }

    /**
     * Where the end-of-archive member starts, when the layout is the split one: two members or more, the last
     * inflating to zeros only and starting right after the last entry's data.
     */
    private static long splitOffset(GzipMembersReader gzip, long endOfEntries) {
        List<GzipMembersReader.Member> members = gzip.members();
        if (members.size() < 2) {
            return -1;
        }
        GzipMembersReader.Member last = members.get(members.size() - 1);
        boolean split = last.allZeros() && last.inflatedSize() >= 2 * BLOCK && last.inflatedStart() == endOfEntries;
        return split ? last.compressedStart() : -1;
    }

    /** A regular file: commons-compress's isFile() also says yes to links, devices and fifos. */
    private static boolean regular(TarArchiveEntry e) {
        return e.isFile() && !e.isDirectory() && !e.isSymbolicLink() && !e.isLink() && !e.isCharacterDevice()
                && !e.isBlockDevice() && !e.isFIFO();
    }

    /** The entry's kind, refusing kinds an installer must not hold. */
    private static ArchiveIndex.Kind check(TarArchiveEntry entry) throws InstallerFormatException {
        String name = entry.getName();
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            throw new InstallerFormatException("entry '" + name + "' is a device, which an installer must not contain");
        }
        if (entry.isFIFO()) {
            throw new InstallerFormatException("entry '" + name + "' is a fifo, which an installer must not contain");
        }
        if (entry.isSparse()) {
            throw new InstallerFormatException("entry '" + name + "' is a sparse file, which an official artifact "
                    + "never holds");
        }
        if (entry.isDirectory()) {
            return ArchiveIndex.Kind.DIRECTORY;
        }
        if (entry.isSymbolicLink() || entry.isLink()) {
            return ArchiveIndex.Kind.LINK;
        }
        if (regular(entry)) {
            return ArchiveIndex.Kind.FILE;
        }
        throw new InstallerFormatException("entry '" + name + "' is of tar type '" + (char) entry.getLinkFlag()
                + "', which an installer must not contain");
    }
}
