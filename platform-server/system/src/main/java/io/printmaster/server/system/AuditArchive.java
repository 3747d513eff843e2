package io.printmaster.server.system;

import io.printmaster.store.AuditLog;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Moves audit entries older than a cutoff out of the database into JSON Lines files in one folder, without ever
 * losing one: an entry is deleted only after the file holding it is on disk (forced and renamed into place), and
 * the ids deleted are read back from that file, so an entry committed while the file was written is never deleted
 * unseen.
 *
 * <p>A sweep: (1) writes {@code .audit-….jsonl.partial}, forced; (2) creates the marker
 * {@code audit-….jsonl.deleting}; (3) renames the file to {@code audit-<first day>-<last day>-<first id>-<last
 * id>.jsonl} and forces the folder; (4) deletes the file's ids in batches of {@value #BATCH} (one transaction each);
 * (5) removes the marker. {@link #resume} runs first at every sweep: for a marker whose file exists it finishes
 * step 4; a marker without its file, and a partial file, are removed (their entries are all still in the
 * database). So a crash at any step loses nothing and exports nothing twice.
 */
final class AuditArchive {
    static final int BATCH = AuditLog.Query.MAX_EXPORT_LIMIT;
    /** One file holds at most this many entries; a larger backlog goes into several files in one sweep. */
    static final int MAX_ENTRIES_PER_FILE = 1_000_000;
    static final String MARKER_SUFFIX = ".deleting";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final Path dir;
    private final AuditLog audit;
    private final int maxEntriesPerFile;

    /** What one file took out of the database. */
    record Moved(Path file, long entries, long deleted) {
    }

    AuditArchive(Path dir, AuditLog audit) {
        this(dir, audit, MAX_ENTRIES_PER_FILE);
    }

    AuditArchive(Path dir, AuditLog audit, int maxEntriesPerFile) {
        this.dir = dir;
        this.audit = audit;
        this.maxEntriesPerFile = maxEntriesPerFile;
    }

    Path dir() {
        return dir;
    }

    /**
     * Finishes what an interrupted sweep left: deletes the entries of every file whose marker is still there, then
     * removes the marker; removes partial files and markers without a file.
     *
     * @return how many entries were deleted
     */
    long resume(BooleanSupplier stillHolding) throws IOException, SQLException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long deleted = 0;
        List<Path> markers = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(".audit-") && name.endsWith(".partial")) {
                    Files.deleteIfExists(f);
                } else if (name.startsWith("audit-") && name.endsWith(MARKER_SUFFIX)) {
                    markers.add(f);
                }
            }
        }
        for (Path marker : markers) {
            String name = marker.getFileName().toString();
            Path file = dir.resolve(name.substring(0, name.length() - MARKER_SUFFIX.length()));
            if (Files.exists(file)) {
                Optional<Long> n = deleteEntriesOf(file, stillHolding);
                if (n.isEmpty()) {
                    return deleted; // the lease is gone: the holder's next sweep finishes
                }
                deleted += n.get();
            }
            Files.deleteIfExists(marker);
            forceFolder();
        }
        return deleted;
    }

    /**
     * Exports every entry that occurred before {@code cutoff} (oldest first) into files of at most
     * {@link #MAX_ENTRIES_PER_FILE} entries, each made durable before its entries are deleted.
     *
     * @param stillHolding asked before each batch: false stops the sweep (the lease was lost), leaving the marker
     * @return one record per file written, in order; empty when nothing was old enough
     */
    List<Moved> sweep(Instant cutoff, BooleanSupplier stillHolding) throws IOException, SQLException {
        List<Moved> moved = new ArrayList<>();
        long after = 0;
        while (stillHolding.getAsBoolean()) {
            List<AuditLog.Entry> page = audit.listOldestFirst(after, cutoff, Optional.empty(), pageSize(0));
            if (page.isEmpty()) {
                break;
            }
            Files.createDirectories(dir);
            Written w = writeFile(page, cutoff);
            Optional<Long> deleted = deleteEntriesOf(w.file, stillHolding);
            if (deleted.isEmpty()) {
                moved.add(new Moved(w.file, w.entries, 0));
                break;
            }
            Files.deleteIfExists(marker(w.file));
            forceFolder();
            moved.add(new Moved(w.file, w.entries, deleted.get()));
            after = w.lastId;
        }
        return moved;
    }

    private record Written(Path file, long entries, long lastId) {
    }

    /** Steps 1 to 3: the file with {@code first} and the pages after it, durable, under its final name. */
    private Written writeFile(List<AuditLog.Entry> first, Instant cutoff) throws IOException, SQLException {
        Path partial = dir.resolve(".audit-" + first.get(0).id() + ".jsonl.partial");
        long entries = 0;
        AuditLog.Entry firstEntry = first.get(0);
        AuditLog.Entry last = null;
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ownerOnly(partial);
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            List<AuditLog.Entry> page = first;
            while (!page.isEmpty()) {
                for (AuditLog.Entry e : page) {
                    AuditLines.write(e, out);
                    last = e;
                }
                boolean lastPage = page.size() < pageSize(entries);
                entries += page.size();
                if (lastPage || entries >= maxEntriesPerFile) {
                    break;
                }
                page = audit.listOldestFirst(last.id(), cutoff, Optional.empty(), pageSize(entries));
            }
            out.flush();
            ch.force(true);
        }
        Path file = dir.resolve("audit-" + DAY.format(firstEntry.at()) + "-" + DAY.format(last.at()) + "-"
                + firstEntry.id() + "-" + last.id() + ".jsonl");
        Path marker = marker(file);
        Files.deleteIfExists(marker);
        Files.createFile(marker);
        forceFolder();
        try {
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
        }
        forceFolder();
        return new Written(file, entries, last.id());
    }

    /** The next page's size when {@code written} entries are in the file already. */
    private int pageSize(long written) {
        return (int) Math.min(BATCH, maxEntriesPerFile - written);
    }

    private static Path marker(Path file) {
        return file.resolveSibling(file.getFileName() + MARKER_SUFFIX);
    }

    /** Step 4: deletes the ids the file holds, a batch per transaction; empty when stopped by the lease. */
    private Optional<Long> deleteEntriesOf(Path file, BooleanSupplier stillHolding) throws IOException, SQLException {
        long deleted = 0;
        List<Long> ids = new ArrayList<>(BATCH);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                ids.add(AuditLines.id(line));
                if (ids.size() == BATCH) {
                    if (!stillHolding.getAsBoolean()) {
                        return Optional.empty();
                    }
                    deleted += audit.delete(ids);
                    ids.clear();
                }
            }
        }
        if (!ids.isEmpty()) {
            if (!stillHolding.getAsBoolean()) {
                return Optional.empty();
            }
            deleted += audit.delete(ids);
        }
        return Optional.of(deleted);
    }

    private static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not POSIX: the data folder's own permissions apply
        }
    }

    /** Makes a rename or a new name in the folder durable (where the platform lets a folder be forced). */
    private void forceFolder() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a folder as a channel; its renames are durable through the file system journal
        }
    }
}
