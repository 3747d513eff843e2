package io.printmaster.agent.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;

/**
 * Replaces files whole and durably: the bytes go to a temporary file in the target's folder (or one the caller names,
 * on the same file system), are forced to disk, the temporary file is renamed over the target in one atomic step, and
 * the folder itself is forced so the rename survives a power cut (where the OS allows opening a folder; Windows does
 * not, and there the rename is as durable as NTFS makes it). Readers see the old content or the new, never part.
 *
 * <p>One class, no nested classes or lambdas, JDK types only: see the package documentation for why.
 */
public final class AtomicFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /** Writes {@code target} through a forced temporary file in its folder (created when missing). */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, bytes, null, null);
    }

    /** Like {@link #write(Path, byte[])}, readable and writable by the owner only where the file system has modes. */
    public static void writeOwnerOnly(Path target, byte[] bytes) throws IOException {
        write(target, bytes, null, OWNER_ONLY);
    }

    /**
     * Writes {@code target} atomically and durably.
     *
     * @param tempDir where the temporary file goes; it must be on the target's file system. {@code null}: the target's
     *     folder. A folder someone watches (Felix FileInstall) needs another one, or the watcher sees the temporary file
     * @param permissions the file's POSIX permissions (set on the temporary file before a byte is written); {@code
     *     null}: the default of the process, which is also what happens on a file system without POSIX modes
     */
    public static void write(Path target, byte[] bytes, Path tempDir, Set<PosixFilePermission> permissions)
            throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path dir = tempDir == null ? folder : tempDir;
        Files.createDirectories(dir);
        boolean posix = permissions != null && folder.getFileSystem().supportedFileAttributeViews().contains("posix");
        // not Files.createTempFile without permissions: it makes the file owner-only (0600) on POSIX, where a
        // replaced file should keep the process's default mode (0666 less the umask), as a plain write gives it
        Path tmp = posix
                ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                        PosixFilePermissions.asFileAttribute(permissions))
                : createWithDefaultMode(dir, "." + target.getFileName());
        try {
            if (posix) {
                Files.setPosixFilePermissions(tmp, permissions); // the umask may have taken bits away
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A new empty file {@code <prefix>.<random>.tmp} in {@code dir}, created with the process's default mode. */
    private static Path createWithDefaultMode(Path dir, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            try {
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * Renames {@code source} over {@code target} in one atomic step (replacing it), then forces the target's folder.
     * Falls back to a plain replacing move where the file system cannot rename atomically.
     */
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Forces a folder's entries (a rename, a new file) to disk. A no-op where the OS cannot open a folder for that
     * (Windows): there the file system journals the rename itself.
     *
     * @return whether the folder was forced
     */
    public static boolean syncDirectory(Path dir) {
        if (dir == null) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
            return true;
        } catch (FileSystemException | UnsupportedOperationException e) {
            return false; // a folder cannot be opened here (Windows: access denied)
        } catch (IOException e) {
            return false; // not worth failing a write that already happened: the rename is done
        }
    }
}
