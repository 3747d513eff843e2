package io.printmaster.installer.tar.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The verdicts of full checks, per file, bounded (least recently used out). A file is known by its real path, size,
 * modification time, change time (where the file system has one) and file key (device and inode): cheap to read,
 * and any rewrite of the file changes at least one of them. The official artifacts are immutable files of the intake's
 * cache, so in practice a verdict is computed once per artifact and reused for every fleet's installer.
 */
final class VerdictCache {
    /** How a file is recognised. */
    record Key(String realPath, long size, FileTime modified, Object changed, Object fileKey) {
        static Key of(Path file) throws IOException {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            Object changed;
            try {
                changed = Files.getAttribute(real, "unix:ctime");
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                changed = null; // not a unix file system: size, mtime and file key must do
            }
            return new Key(real.toString(), a.size(), a.lastModifiedTime(), changed, a.fileKey());
        }
    }

    private final Map<Key, TarGzInstallerFormat.Verdict> map;

    VerdictCache(int capacity) {
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, TarGzInstallerFormat.Verdict> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized TarGzInstallerFormat.Verdict get(Key key) {
        return map.get(key);
    }

    synchronized void put(Key key, TarGzInstallerFormat.Verdict verdict) {
        map.put(key, verdict);
    }

    synchronized int size() {
        return map.size();
    }
}
