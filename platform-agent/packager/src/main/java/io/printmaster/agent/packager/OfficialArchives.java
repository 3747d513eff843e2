package io.printmaster.agent.packager;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * Writes the official archive formats (layout: docs/release-feed.md). Both take the entries in their given order (callers
 * sort them) and stamp every entry with the same modification time, owner 0:0, and exactly the given modes, so the
 * same inputs give the same bytes on any machine.
 *
 * <p>The tar.gz is TWO gzip members: the first holds every tar entry (headers, data, padding to 512 bytes), the
 * second only the end-of-archive (two zero records, then zeros up to a multiple of the 10240-byte tar record). Any
 * gzip reader decompresses members one after the other, so {@code tar}, {@code gzip -t} and commons-compress (with
 * concatenated members on) see one ordinary archive; the installer builder copies the first member's bytes unchanged
 * and appends a member with the fleet files and a new end-of-archive, without recompressing anything.
 */
public final class OfficialArchives {
    /** GNU tar's default record: 20 blocks of 512 bytes; archives are padded to a multiple of it. */
    static final int TAR_RECORD = 10240;
    static final int TAR_BLOCK = 512;

    private OfficialArchives() {
    }

    /** Writes a two-member tar.gz of {@code entries} (already in archive order); the file appears only when complete. */
    public static void writeTarGz(Path target, List<Entry> entries, Instant modified) throws IOException {
        checkUnique(entries);
        Path partial = partialOf(target);
        try (OutputStream file = Files.newOutputStream(partial)) {
            Counting entriesMember = new Counting(new GZIPOutputStream(new NoClose(file), 64 * 1024));
            // a block size of one 512-byte block: every finished entry reaches the gzip member at once, nothing stays
            // buffered in the tar stream when the first member is closed
            TarArchiveOutputStream tar = new TarArchiveOutputStream(entriesMember, TAR_BLOCK);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry t = e.isDirectory()
                        ? new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR)
                        : new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
                t.setMode((e.isDirectory() ? TarArchiveEntry.DEFAULT_DIR_MODE & ~07777 : TarArchiveEntry.DEFAULT_FILE_MODE & ~07777) | e.mode());
                t.setModTime(FileTime.from(modified));
                t.setIds(0, 0);
                t.setUserName("");
                t.setGroupName("");
                if (!e.isDirectory()) {
                    t.setSize(Files.size(e.source()));
                }
                tar.putArchiveEntry(t);
                if (!e.isDirectory()) {
                    Files.copy(e.source(), tar);
                }
                tar.closeArchiveEntry();
            }
            tar.flush();
            long entryBytes = entriesMember.count;
            if (entryBytes % TAR_BLOCK != 0) {
                throw new IllegalStateException("tar entries end at byte " + entryBytes + ", not on a block boundary");
            }
            entriesMember.close(); // finishes member 1 (NoClose keeps the file open)

            long end = entryBytes + 2L * TAR_BLOCK;
            long padded = (end + TAR_RECORD - 1) / TAR_RECORD * TAR_RECORD;
            try (GZIPOutputStream endMember = new GZIPOutputStream(new NoClose(file))) {
                endMember.write(new byte[(int) (padded - entryBytes)]);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes a zip of {@code entries} (deflated, unix modes set); the file appears only when complete. */
    public static void writeZip(Path target, List<Entry> entries, Instant modified) throws IOException {
        checkUnique(entries);
        Path partial = partialOf(target);
        long dosTime = dosTime(modified);
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(partial)) {
            zip.setMethod(ZipArchiveOutputStream.DEFLATED);
            zip.setEncoding("UTF-8");
            for (Entry e : entries) {
                ZipArchiveEntry z = new ZipArchiveEntry(e.isDirectory() ? e.path() + "/" : e.path());
                z.setUnixMode((e.isDirectory() ? UnixStat.DIR_FLAG : UnixStat.FILE_FLAG) | e.mode());
                z.setTime(dosTime);
                z.setMethod(e.isDirectory() ? ZipArchiveEntry.STORED : ZipArchiveEntry.DEFLATED);
                if (e.isDirectory()) {
                    z.setSize(0);
                    z.setCrc(0);
                }
                zip.putArchiveEntry(z);
                if (!e.isDirectory()) {
                    Files.copy(e.source(), zip);
                }
                zip.closeArchiveEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Zip stores local date and time fields (no zone) and Java converts through the default zone: the instant whose
     * local rendering is {@code modified}'s UTC date and time gives the same fields whatever the build machine's zone.
     */
    static long dosTime(Instant modified) {
        LocalDateTime utc = LocalDateTime.ofInstant(modified, ZoneOffset.UTC);
        return utc.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
    }

    private static void checkUnique(List<Entry> entries) {
        Set<String> seen = new HashSet<>();
        for (Entry e : entries) {
            if (!seen.add(e.path())) {
                throw new IllegalArgumentException("duplicate archive entry " + e.path());
            }
        }
    }

    private static Path partialOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".part");
    }

    /** Counts the bytes written through it. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** Lets a gzip member be finished and closed while the file it is written to stays open for the next member. */
    private static final class NoClose extends FilterOutputStream {
        NoClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
