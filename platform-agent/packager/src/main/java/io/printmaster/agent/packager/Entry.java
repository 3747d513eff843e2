package io.printmaster.agent.packager;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One entry of an archive: its path inside the archive ({@code printmaster-agent-1.0.0/bin/pm-agent}, with '/'
 * separators and no trailing slash), the file it holds ({@code null} for a directory) and its permission bits.
 */
public record Entry(String path, Path source, int mode) implements Comparable<Entry> {
    public static final int DIRECTORY_MODE = 0755;
    public static final int FILE_MODE = 0644;
    public static final int EXECUTABLE_MODE = 0755;

    public Entry {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")
                || ("/" + path + "/").contains("/../") || ("/" + path + "/").contains("/./")) {
            throw new IllegalArgumentException("not a relative archive path: '" + path + "'");
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " of " + path + " has bits other than permissions");
        }
    }

    public static Entry directory(String path) {
        return new Entry(path, null, DIRECTORY_MODE);
    }

    public static Entry file(String path, Path source, int mode) {
        return new Entry(path, Objects.requireNonNull(source, "source"), mode);
    }

    public boolean isDirectory() {
        return source == null;
    }

    /** Archive order: by path, so a folder comes right before what it holds; the same on every machine. */
    @Override
    public int compareTo(Entry other) {
        return path.compareTo(other.path);
    }
}
