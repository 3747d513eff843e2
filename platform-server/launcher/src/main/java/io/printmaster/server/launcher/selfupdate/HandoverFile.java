package io.printmaster.server.launcher.selfupdate;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <data>/selfupdate/handover.json}: what a restart-mode self-update hands to the next start (the new version,
 * or the old one after a failed trial). Written by the selfupdate bundle before {@code versions/trial}; the launcher
 * adds {@code phase: booted} (the new version starts and may migrate the database), {@code outcome} (the watchdog)
 * and {@code restored_at} (the old version put the backup back). Every write is a temp file, forced, renamed.
 */
public final class HandoverFile {
    /** Relative to the data directory. */
    public static final String RELATIVE_PATH = "selfupdate/handover.json";

    private HandoverFile() {
    }

    public static Path of(Path dataDir) {
        return dataDir.resolve(RELATIVE_PATH);
    }

    /** The hand-over, empty when there is none; a file that cannot be read as one is an error naming it. */
    public static Optional<Map<String, Object>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return Optional.of(new LinkedHashMap<>(FlatJson.parse(text)));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code handover} to {@code file} atomically: readers see the old content or the new, whole. */
    public static void write(Path file, Map<String, ?> handover) throws IOException {
        writeAtomically(file, FlatJson.write(handover).getBytes(StandardCharsets.UTF_8));
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temp = Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceFolder(folder);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes a rename in {@code folder} durable where the OS lets a folder be opened (not on Windows). */
    static void forceFolder(Path folder) {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a folder; NTFS journals the rename
        }
    }

    static String text(Map<String, Object> handover, String key) {
        Object v = handover.get(key);
        return v == null ? null : v.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> handover, String key) {
        Object v = handover.get(key);
        return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }
}
