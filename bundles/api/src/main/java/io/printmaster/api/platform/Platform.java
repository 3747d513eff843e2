package io.printmaster.api.platform;

import java.util.Objects;
import java.util.Optional;

/**
 * An operating system and architecture, written {@code os-arch} as in {@code linux-amd64} or
 * {@code windows-arm64}.
 */
public record Platform(Os os, Arch arch) {

    /** Both parts are required. */
    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(arch, "arch");
    }

    /**
     * Parses {@code os-arch}, such as {@code linux-amd64} (case is ignored).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static Platform parse(String text) {
        Objects.requireNonNull(text, "platform");
        String[] parts = text.split("-", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not a platform: expected os-arch such as linux-amd64");
        }
        try {
            return new Platform(Os.fromWireName(parts[0]), Arch.fromWireName(parts[1]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a platform: " + e.getMessage(), e);
        }
    }

    /** The platform this JVM runs on, if its OS and architecture are known. */
    public static Optional<Platform> current() {
        return Os.current().flatMap(os -> Arch.current().map(arch -> new Platform(os, arch)));
    }

    /** {@code os-arch}, such as {@code linux-amd64}. */
    @Override
    public String toString() {
        return os.wireName() + "-" + arch.wireName();
    }
}
