package io.printmaster.core.archive;

import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.support.ArchiveIndex;
import io.printmaster.api.support.ArchiveLimits;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

/**
 * Unpacks a verified release archive ({@code tar.gz} or {@code zip} with one top folder) into a folder, without the
 * top folder, keeping the execute bits. The archive's signature and hash are checked before this runs, so it is not
 * the security boundary; it still refuses entries that would leave the folder, links, and trees past the limits
 * (past 1 MiB inflated, at most {@link ArchiveLimits#maxRatio()} times the archive bytes read so far, so a zip bomb is
 * refused after a few megabytes), because a bug on the publishing side must not write outside the slot.
 */
public final class ReleaseArchiveUnpacker {
    /** The formats it reads. */
    public static final Set<String> FORMATS = Set.of("tar.gz", "zip");

    private final ArchiveLimits limits;

    /** @param limits the largest tree and the largest inflation ratio accepted */
    public ReleaseArchiveUnpacker(ArchiveLimits limits) {
        this.limits = limits;
    }

    /** A refused archive: an unsafe entry, a link, a zip bomb, too large a tree, an empty archive, another format. */
    public static final class RefusedArchiveException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedArchiveException(String message) {
            super(message);
        }
    }

    /**
     * @param archive            the verified archive
     * @param format             {@code tar.gz} or {@code zip}
     * @param target             the folder to fill (created when absent)
     * @param compressedProgress told how many bytes of the archive were read so far
     * @param cancelled          polled between entries
     * @throws RefusedArchiveException naming what is wrong with the archive
     * @throws CancellationException   when {@code cancelled} became true
     * @throws IOException             when reading or writing fails
     */
    public void unpack(Path archive, String format, Path target, LongConsumer compressedProgress,
                       BooleanSupplier cancelled) throws IOException {
        if (!FORMATS.contains(format)) {
            throw new RefusedArchiveException("the release format '" + format + "' is not a release archive (tar.gz or zip)");
        }
        Files.createDirectories(target);
        Path root = target.toAbsolutePath().normalize();
        Counting counted = new Counting(new BufferedInputStream(Files.newInputStream(archive), 1 << 16), compressedProgress);
        try (InputStream raw = counted; ArchiveInputStream<? extends ArchiveEntry> in = open(raw, format)) {
            ArchiveIndex index = new ArchiveIndex();
            long total = 0;
            int entries = 0;
            ArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (cancelled.getAsBoolean()) {
                    throw new CancellationException("unpacking " + archive.getFileName() + " was cancelled");
                }
                String relative;
                try {
                    relative = index.add(e.getName(), e.isDirectory() ? ArchiveIndex.Kind.DIRECTORY : ArchiveIndex.Kind.FILE);
                } catch (InstallerFormatException ex) {
                    throw new RefusedArchiveException("the archive has an unsafe entry: " + ex.getMessage());
                }
                if (isLink(e)) {
                    throw new RefusedArchiveException("the archive holds a link (" + e.getName() + "); releases hold none");
                }
                entries++;
                if (relative.isEmpty()) {
                    continue; // the top folder itself
                }
                Path out = root.resolve(relative).normalize();
                if (!out.startsWith(root)) {
                    throw new RefusedArchiveException("the entry " + e.getName() + " would be written outside " + target);
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                total += copyGuarded(limited(in, limits.maxUncompressedBytes() - total), out, total, counted);
                if (total >= limits.maxUncompressedBytes()) {
                    throw new RefusedArchiveException("the archive unpacks to more than " + limits.maxUncompressedBytes() + " bytes");
                }
                if (isExecutable(e)) {
                    makeExecutable(out);
                }
            }
            if (entries == 0) {
                throw new RefusedArchiveException("the archive is empty");
            }
        }
    }

    /** Deletes a folder tree; absent is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static ArchiveInputStream<? extends ArchiveEntry> open(InputStream raw, String format) throws IOException {
        return "zip".equals(format)
                ? new ZipArchiveInputStream(raw, StandardCharsets.UTF_8.name(), true, true)
                : new TarArchiveInputStream(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8.name());
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
            // Windows: no execute bit to set
        }
    }

    /** Copies one entry, refusing as soon as the tree so far inflates past the limits' ratio. */
    private long copyGuarded(InputStream entry, Path out, long before, Counting archiveBytes) throws IOException {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = entry.read(buffer)) > 0) {
                o.write(buffer, 0, n);
                written += n;
                if (limits.ratioExceeded(before + written, archiveBytes.count)) {
                    throw new RefusedArchiveException("the archive inflates to more than " + limits.maxRatio()
                            + " times its size (" + (before + written) + " bytes from " + archiveBytes.count
                            + "): a zip bomb, refused");
                }
            }
        }
        return written;
    }

    /** At most {@code max} bytes of the current entry; closing it leaves the archive stream open for the next. */
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

    /** Counts the archive's bytes as they are read. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer progress;
        private long count;

        Counting(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                progress.accept(count);
            }
            return n;
        }
    }
}
