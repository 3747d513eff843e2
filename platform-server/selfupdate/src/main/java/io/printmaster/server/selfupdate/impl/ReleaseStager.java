package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.support.ArchiveIndex;
import io.printmaster.api.support.ArchiveLimits;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

/**
 * Unpacks a verified server archive ({@code printmaster-server-v<v>/…}, tar.gz or zip) into
 * {@code R/versions/.staging-<v>/} without its top folder, checks it is a complete server of that version, and
 * renames it to {@code R/versions/<v>/}, so a slot under its version's name is always complete. The running program
 * folder is never written: a slot that is the running program is refused. The archive was verified before, so this
 * is not the security boundary; it still refuses unsafe entries, links and zip bombs (the limits the installer
 * formats and the agent apply), and checks the free space first ({@code DISK_SPACE}).
 */
final class ReleaseStager {
    /** A server tree larger than this is refused (a server is ~60 MB). */
    static final long MAX_UNPACKED_BYTES = 2L << 30;
    static final ArchiveLimits LIMITS = new ArchiveLimits(MAX_UNPACKED_BYTES, ArchiveLimits.DEFAULT_MAX_RATIO);
    /** Free space wanted beside the unpacked tree, estimated as this many times the archive (plus a margin). */
    static final long SPACE_FACTOR = 4;
    static final long SPACE_MARGIN = 64L << 20;

    /** How much space the file system has left; a seam so tests can make a full disk. */
    interface FreeSpace {
        long usable(Path dir) throws IOException;
    }

    private final FreeSpace freeSpace;

    ReleaseStager() {
        this(dir -> Files.getFileStore(dir).getUsableSpace());
    }

    ReleaseStager(FreeSpace freeSpace) {
        this.freeSpace = freeSpace;
    }

    /**
     * @param archive        the verified archive
     * @param format         {@code tar.gz} or {@code zip}
     * @param installRoot    R
     * @param version        the version the tree must declare in its {@code VERSION} file; the slot's name
     * @param runningProgram the program folder this server runs from (never written)
     * @return the slot {@code R/versions/<version>}
     */
    Path stage(Path archive, String format, Path installRoot, String version, Path runningProgram) throws SelfUpdateFailure {
        if (!version.matches("[0-9A-Za-z][0-9A-Za-z.+-]*") || version.contains("..")) {
            throw failed("the version '" + version + "' cannot name a folder");
        }
        Path versions = installRoot.resolve("versions").toAbsolutePath().normalize();
        Path slot = versions.resolve(version);
        Path staging = versions.resolve(".staging-" + version);
        if (runningProgram != null && slot.equals(runningProgram.toAbsolutePath().normalize())) {
            throw failed("version " + version + " is the program this server runs from; it is not staged again");
        }
        try {
            Files.createDirectories(versions);
            long needed = Files.size(archive) * SPACE_FACTOR + SPACE_MARGIN;
            long usable = freeSpace.usable(versions);
            if (usable < needed) {
                throw new SelfUpdateFailure("DISK_SPACE", "staging server " + version + " needs about " + mib(needed)
                        + " MiB free in " + versions + ", only " + mib(usable) + " MiB are: free some space and run again");
            }
            deleteTree(staging); // a staging a crash left behind
            unpack(archive, format, staging);
            checkTree(staging, version);
            deleteTree(slot); // an earlier, unfinished attempt at this version: the new tree replaces it
            try {
                Files.move(staging, slot, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staging, slot);
            }
            return slot;
        } catch (IOException e) {
            try {
                deleteTree(staging);
            } catch (IOException ignored) {
                // the next run deletes it first
            }
            throw failed("cannot stage server " + version + ": " + e);
        } catch (SelfUpdateFailure e) {
            try {
                deleteTree(staging);
            } catch (IOException ignored) {
                // the next run deletes it first
            }
            throw e;
        }
    }

    private static void unpack(Path archive, String format, Path target) throws IOException, SelfUpdateFailure {
        Files.createDirectories(target);
        Counting counted = new Counting(new BufferedInputStream(Files.newInputStream(archive), 1 << 16));
        try (InputStream raw = counted; ArchiveInputStream<? extends ArchiveEntry> in = open(raw, format)) {
            ArchiveIndex index = new ArchiveIndex();
            long total = 0;
            int entries = 0;
            ArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String relative;
                try {
                    relative = index.add(e.getName(), e.isDirectory() ? ArchiveIndex.Kind.DIRECTORY : ArchiveIndex.Kind.FILE);
                } catch (InstallerFormatException ex) {
                    throw failed("the archive has an unsafe entry: " + ex.getMessage());
                }
                if (isLink(e)) {
                    throw failed("the archive holds a link (" + e.getName() + "); server releases hold none");
                }
                entries++;
                if (relative.isEmpty()) {
                    continue; // the top folder itself
                }
                Path out = target.resolve(relative).normalize();
                if (!out.startsWith(target)) {
                    throw failed("the entry " + e.getName() + " would be written outside the staging folder");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                total += copyGuarded(limited(in, MAX_UNPACKED_BYTES - total), out, total, counted);
                if (total >= MAX_UNPACKED_BYTES) {
                    throw failed("the archive unpacks to more than " + MAX_UNPACKED_BYTES + " bytes");
                }
                if (isExecutable(e)) {
                    makeExecutable(out);
                }
            }
            if (entries == 0) {
                throw failed("the archive is empty");
            }
        }
    }

    /** A complete server of {@code version}: trampoline, launcher libraries, bundles, VERSION. */
    static void checkTree(Path tree, String version) throws SelfUpdateFailure, IOException {
        for (String required : new String[] {"bin/pm-server", "lib", "bundle", "VERSION"}) {
            if (!Files.exists(tree.resolve(required))) {
                throw failed("the release has no " + required + ": not a complete server");
            }
        }
        String declared = Files.readString(tree.resolve("VERSION"), StandardCharsets.UTF_8).strip();
        if (!declared.equals(version)) {
            throw failed("the release's VERSION file says " + declared + ", its manifest " + version);
        }
        try (Stream<Path> jars = Files.list(tree.resolve("bundle"))) {
            if (jars.noneMatch(p -> p.getFileName().toString().endsWith(".jar"))) {
                throw failed("the release has no bundles");
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static ArchiveInputStream<? extends ArchiveEntry> open(InputStream raw, String format)
            throws IOException, SelfUpdateFailure {
        return switch (format) {
            case "tar.gz" -> new TarArchiveInputStream(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8.name());
            case "zip" -> new ZipArchiveInputStream(raw, StandardCharsets.UTF_8.name(), true, true);
            default -> throw failed("the release format '" + format + "' is not a server archive (tar.gz or zip)");
        };
    }

    private static boolean isLink(ArchiveEntry e) {
        if (e instanceof TarArchiveEntry t) {
            return t.isSymbolicLink() || t.isLink();
        }
        return e instanceof ZipArchiveEntry z && z.isUnixSymlink();
    }

    private static boolean isExecutable(ArchiveEntry e) {
        int mode = e instanceof TarArchiveEntry t ? t.getMode() : e instanceof ZipArchiveEntry z ? z.getUnixMode() : 0;
        return (mode & 0100) != 0;
    }

    private static void makeExecutable(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = EnumSet.copyOf(Files.getPosixFilePermissions(file));
            p.add(PosixFilePermission.OWNER_EXECUTE);
            p.add(PosixFilePermission.GROUP_EXECUTE);
            p.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(file, p);
        } catch (UnsupportedOperationException e) {
            // Windows: no execute bit
        }
    }

    /** Copies one entry, refusing as soon as the tree so far inflates past {@link #LIMITS}' ratio. */
    private static long copyGuarded(InputStream entry, Path out, long before, Counting archiveBytes)
            throws IOException, SelfUpdateFailure {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = entry.read(buffer)) > 0) {
                o.write(buffer, 0, n);
                written += n;
                if (LIMITS.ratioExceeded(before + written, archiveBytes.count)) {
                    throw failed("the archive inflates to more than " + LIMITS.maxRatio() + " times its size ("
                            + (before + written) + " bytes from " + archiveBytes.count + "): a zip bomb, refused");
                }
            }
        }
        return written;
    }

    private static InputStream limited(InputStream in, long max) {
        return new FilterInputStream(in) {
            private long left = max;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() {
                // the archive stream stays open for the next entry
            }
        };
    }

    /** Counts the compressed bytes read from the archive file. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
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
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    private static SelfUpdateFailure failed(String message) {
        return new SelfUpdateFailure("STAGING_FAILED", message);
    }
}
