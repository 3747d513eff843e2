package io.printmaster.server.system;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a bundle was installed from a file inside a folder, judged by its location. Locations are written by
 * whoever installed the bundle, and they spell the same file differently: Felix FileInstall writes
 * {@code File.toURI()} of the canonical file ({@code file:/data/plugins/x.jar}), the launcher writes
 * {@code Path.toUri()} ({@code file:///data/plugins/x.jar}). So locations are compared as paths, not as text, and
 * also with symbolic links resolved (a data directory reached through a link).
 */
final class BundleLocations {
    private BundleLocations() {
    }

    /** True when {@code location} is a {@code file:} URI of a file inside {@code dir} (at any depth). */
    static boolean isInside(String location, Path dir) {
        Optional<Path> file = filePath(location);
        if (file.isEmpty()) {
            return false;
        }
        Path folder = dir.toAbsolutePath().normalize();
        if (file.get().startsWith(folder)) {
            return true;
        }
        try {
            return realPath(file.get()).startsWith(folder.toRealPath());
        } catch (IOException e) {
            return false; // the folder or the file's folder is gone: nothing can be inside it
        }
    }

    private static Optional<Path> filePath(String location) {
        if (location == null || !location.regionMatches(true, 0, "file:", 0, 5)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(URI.create(location)).toAbsolutePath().normalize());
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return Optional.empty(); // not a hierarchical file URI we can read
        }
    }

    /** The file's path with links resolved in its folder; the file itself may already be deleted. */
    private static Path realPath(Path file) throws IOException {
        Path parent = file.getParent();
        return parent == null ? file : parent.toRealPath().resolve(file.getFileName());
    }
}
