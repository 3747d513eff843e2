package io.printmaster.launcher;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps a data folder to its owner: the folder 0700, and group and others' permissions taken from everything in it
 * (a file {@code rw-r--r--} becomes {@code rw-------}, 0600; a folder 0700). Run at every start, so an installation
 * made before this existed, or a folder a service manager re-created with its own mode, is fixed. Files the process
 * writes later get its umask: when that lets group or others in ({@link #newFilesArePrivate}), the launcher runs this
 * again periodically (inside a 0700 folder nobody else reaches them meanwhile anyway).
 *
 * <p>POSIX only: on a file system without POSIX modes (Windows) nothing is done and nothing is said. Symbolic links are
 * not followed (their targets are not ours to change), and a file that vanishes during the walk (a log rolled over) is
 * skipped.
 */
final class OwnerOnlyFolder {
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> OWNER_FOLDER = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private OwnerOnlyFolder() {
    }

    /**
     * Makes {@code folder} 0700 and takes group and others' permissions from everything inside.
     *
     * @return how many files and folders were changed (0 on a file system without POSIX modes)
     * @throws IOException when the folder's own mode cannot be set (the walk itself never fails the start)
     */
    static int apply(Path given) throws IOException {
        Path folder = given.toRealPath(); // a data folder that is a link: its target is the folder to keep private
        if (!Files.getFileStore(folder).supportsFileAttributeView(PosixFileAttributeView.class)
                || !folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return 0;
        }
        int[] changed = {0};
        if (!Files.getPosixFilePermissions(folder, LinkOption.NOFOLLOW_LINKS).equals(OWNER_FOLDER)) {
            Files.setPosixFilePermissions(folder, OWNER_FOLDER);
            changed[0]++;
        }
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(folder)) {
                    changed[0] += ownerOnly(dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() || attrs.isDirectory()) {
                    changed[0] += ownerOnly(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone meanwhile, or unreadable: not a reason to stop a start
            }
        });
        return changed[0];
    }

    /**
     * Whether a file this process creates in {@code folder} without explicit permissions is its owner's only (a
     * umask of 077): probed with a real file, removed again. True where there are no POSIX modes.
     */
    static boolean newFilesArePrivate(Path folder) throws IOException {
        if (!folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return true;
        }
        Path probe = folder.resolve(".umask-probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            java.nio.channels.FileChannel.open(probe, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE).close();
            return Files.getPosixFilePermissions(probe).stream().noneMatch(NOT_OWNER::contains);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static int ownerOnly(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            if (perms.stream().noneMatch(NOT_OWNER::contains)) {
                return 0;
            }
            perms.removeAll(NOT_OWNER);
            Files.setPosixFilePermissions(p, perms);
            return 1;
        } catch (IOException | UnsupportedOperationException e) {
            return 0; // vanished, or another owner's file: leave it
        }
    }
}
