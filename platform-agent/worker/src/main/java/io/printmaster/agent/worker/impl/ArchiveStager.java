package io.printmaster.agent.worker.impl;

import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.support.ArchiveIndex;
import io.printmaster.api.support.ArchiveLimits;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
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
 * Unpacks a verified agent archive ({@code tar.gz} or {@code zip}, one top folder {@code printmaster-agent-<v>/})
 * into a staging folder, without the top folder, and checks that the result is a complete program tree of the
 * expected version. The archive's signature and hash were checked before, so this is not the security boundary;
 * it still refuses entries that would leave the folder, links, and more bytes than the limit, because a bug on the
 * server side must not be able to write outside {@code versions/}.
 */
final class ArchiveStager {
    /** Staged trees larger than this are refused (an agent is ~20 MB). */
    static final long MAX_UNPACKED_BYTES = 1L << 30;
    /**
     * The zip-bomb guard the installer formats apply too: past 1 MiB inflated, the tree may be at most 100 times the
     * archive bytes read so far, so a bomb is refused after a few megabytes instead of after writing a gigabyte.
     */
    static final ArchiveLimits LIMITS = new ArchiveLimits(MAX_UNPACKED_BYTES, ArchiveLimits.DEFAULT_MAX_RATIO);

    /**
     * @param archive the verified archive
     * @param format {@code tar.gz} or {@code zip}
     * @param target the staging folder; must not exist
     * @param version the version the tree must declare in its {@code VERSION} file
     * @param compressedProgress told how many bytes of the archive were read so far
     * @param cancelled polled between entries
     * @throws UpdateFailure {@code STAGING_FAILED} naming what is wrong
     * @throws ResumableDownload.CancelledException when {@code cancelled} became true
     */
    void stage(Path archive, String format, Path target, String version, LongConsumer compressedProgress,
               BooleanSupplier cancelled) throws UpdateFailure, ResumableDownload.CancelledException {
        try {
            Files.createDirectories(target);
            Counting counted = new Counting(new BufferedInputStream(Files.newInputStream(archive), 1 << 16),
                    compressedProgress);
            try (InputStream raw = counted;
                 ArchiveInputStream<? extends ArchiveEntry> in = open(raw, format)) {
                ArchiveIndex index = new ArchiveIndex();
                long total = 0;
                int entries = 0;
                ArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    if (cancelled.getAsBoolean()) {
                        throw new ResumableDownload.CancelledException();
                    }
                    String relative;
                    try {
                        relative = index.add(e.getName(), e.isDirectory() ? ArchiveIndex.Kind.DIRECTORY
                                : ArchiveIndex.Kind.FILE);
                    } catch (InstallerFormatException ex) {
                        throw failed("the archive has an unsafe entry: " + ex.getMessage());
                    }
                    if (isLink(e)) {
                        throw failed("the archive holds a link (" + e.getName() + "); agent releases hold none");
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
                    long written = copyGuarded(limited(in, MAX_UNPACKED_BYTES - total), out, total, counted);
                    total += written;
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
            checkTree(target, version);
        } catch (IOException e) {
            throw failed("cannot unpack the archive: " + e);
        }
    }

    /** The staged tree is a program of {@code version}: launcher, bundles and the trampoline are there. */
    static void checkTree(Path tree, String version) throws UpdateFailure, IOException {
        for (String required : new String[] {"bin/pm-agent", "bin/pm-agent.cmd", "lib", "bundle", "VERSION"}) {
            if (!Files.exists(tree.resolve(required))) {
                throw failed("the release has no " + required + ": not a complete agent");
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

    /** Deletes a folder tree; absent is fine. */
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

    private static ArchiveInputStream<? extends ArchiveEntry> open(InputStream raw, String format) throws IOException,
            UpdateFailure {
        return switch (format) {
            case "tar.gz" -> new TarArchiveInputStream(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8.name());
            case "zip" -> new ZipArchiveInputStream(raw, StandardCharsets.UTF_8.name(), true, true);
            default -> throw failed("the release format '" + format + "' cannot be installed by this agent "
                    + "(tar.gz or zip)");
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
            // Windows: no execute bit to set
        }
    }

    /** Copies one entry, refusing as soon as the tree so far inflates past {@link #LIMITS}' ratio. */
    private static long copyGuarded(InputStream entry, Path out, long before, Counting archiveBytes)
            throws IOException, UpdateFailure {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (java.io.OutputStream o = Files.newOutputStream(out, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
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

    private static UpdateFailure failed(String message) {
        return new UpdateFailure("STAGING_FAILED", message);
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
