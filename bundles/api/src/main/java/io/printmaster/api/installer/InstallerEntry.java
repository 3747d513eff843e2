package io.printmaster.api.installer;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A file inside an installer, as {@link InstallerFormat#entries} lists it.
 *
 * @param path relative to the installation's home directory, with {@code /} separators (the same form as
 *             {@link FleetFile#path()}), so it can be passed to {@link InstallerFormat#readBack}
 * @param size size in bytes
 * @param mode POSIX permission bits, when the format stores them (ZIP and TAR do, MSI does not)
 */
public record InstallerEntry(String path, long size, OptionalInt mode) {

    /**
     * @throws IllegalArgumentException for an unsafe path or a negative size
     */
    public InstallerEntry {
        FleetFile.checkPath(path);
        Objects.requireNonNull(mode, "mode");
        if (size < 0) {
            throw new IllegalArgumentException("size of '" + path + "' must not be negative: " + size);
        }
    }
}
