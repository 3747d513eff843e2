package io.printmaster.api.installer;

import java.util.Arrays;
import java.util.Objects;

/**
 * One file injected into an installer for a fleet, such as the join token or the fleet's CA certificate.
 *
 * @param path    where it goes, relative to the installation's home directory, with {@code /} separators:
 *                {@code etc/join-token}. No absolute paths, no {@code .} or {@code ..} segments, no empty
 *                segments, no backslashes or drive letters.
 * @param content the bytes (copied on the way in and out: the record is immutable)
 * @param mode    POSIX permission bits, {@code 0} to {@code 0777}: {@code 0600} for secrets, {@code 0644} for
 *                ordinary files, {@code 0755} for executables. Formats without permissions (MSI) ignore it.
 */
public record FleetFile(String path, byte[] content, int mode) {

    /** Permissions of an ordinary file: {@code rw-r--r--}. */
    public static final int MODE_FILE = 0644;
    /** Permissions of a secret, readable by the service account only: {@code rw-------}. */
    public static final int MODE_SECRET = 0600;
    /** Permissions of an executable: {@code rwxr-xr-x}. */
    public static final int MODE_EXECUTABLE = 0755;

    /**
     * @throws IllegalArgumentException naming what is wrong with the path or mode
     */
    public FleetFile {
        checkPath(path);
        Objects.requireNonNull(content, "content");
        if (mode < 0 || mode > 0777) {
            throw new IllegalArgumentException("mode of '" + path + "' must be between 0 and 0777 (octal), not 0"
                    + Integer.toOctalString(mode));
        }
        content = content.clone();
    }

    /** An ordinary file ({@link #MODE_FILE}). */
    public static FleetFile of(String path, byte[] content) {
        return new FleetFile(path, content, MODE_FILE);
    }

    /** A secret ({@link #MODE_SECRET}). */
    public static FleetFile secret(String path, byte[] content) {
        return new FleetFile(path, content, MODE_SECRET);
    }

    /** A copy of the bytes. */
    @Override
    public byte[] content() {
        return content.clone();
    }

    /** The number of bytes. */
    public int size() {
        return content.length;
    }

    /**
     * Checks a relative path as used by {@link FleetFile} and {@link InstallerFormat#readBack}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void checkPath(String path) {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("path must not be empty");
        }
        if (path.indexOf('\\') >= 0 || path.indexOf(':') >= 0 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path '" + path + "' must use '/' separators and no drive letters");
        }
        if (path.startsWith("/")) {
            throw new IllegalArgumentException("path '" + path + "' must be relative");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("path '" + path + "' must not have empty, '.' or '..' segments");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FleetFile f && path.equals(f.path) && mode == f.mode && Arrays.equals(content, f.content);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(path, mode) + Arrays.hashCode(content);
    }

    /** Path, size and mode; never the content, which may be a secret. */
    @Override
    public String toString() {
        return "FleetFile[" + path + ", " + content.length + " bytes, mode 0" + Integer.toOctalString(mode) + "]";
    }
}
