package io.printmaster.agent.config.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * Enough of a file's metadata to notice that it changed (or appeared, or went), without reading it. Polling this is
 * what FileInstall does for {@code .cfg} files too; it works on every file system, network shares included, where
 * a WatchService may silently miss events.
 */
record FileFingerprint(boolean exists, FileTime modified, long size, Object fileKey) {
    static final FileFingerprint ABSENT = new FileFingerprint(false, FileTime.fromMillis(0), -1, null);
    /** Matches no real file: whatever is there next counts as a change. */
    static final FileFingerprint UNKNOWN = new FileFingerprint(true, FileTime.fromMillis(-2), -2, null);

    static FileFingerprint of(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileFingerprint(true, a.lastModifiedTime(), a.size(), a.fileKey());
        } catch (NoSuchFileException e) {
            return ABSENT;
        } catch (IOException e) {
            // unreadable metadata: report a distinct state so the next successful read counts as a change
            return new FileFingerprint(true, FileTime.fromMillis(-1), -1, null);
        }
    }
}
