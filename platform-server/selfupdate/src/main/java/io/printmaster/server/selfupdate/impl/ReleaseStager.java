package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.support.ArchiveLimits;
import io.printmaster.core.archive.ReleaseArchiveUnpacker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

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
    private static final ReleaseArchiveUnpacker UNPACKER = new ReleaseArchiveUnpacker(LIMITS);
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
        try {
            UNPACKER.unpack(archive, format, target, read -> { }, () -> false);
        } catch (ReleaseArchiveUnpacker.RefusedArchiveException e) {
            throw failed(e.getMessage());
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
        ReleaseArchiveUnpacker.deleteTree(dir);
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    private static SelfUpdateFailure failed(String message) {
        return new SelfUpdateFailure("STAGING_FAILED", message);
    }
}
