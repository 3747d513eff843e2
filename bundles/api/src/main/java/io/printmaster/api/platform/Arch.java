package io.printmaster.api.platform;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** A CPU architecture, with the wire names Go and most release pipelines use. */
public enum Arch {
    /** x86-64 (Java reports {@code amd64} or {@code x86_64}). */
    AMD64("amd64"),
    /** 64-bit ARM (Java reports {@code aarch64}). */
    ARM64("arm64");

    private final String wireName;

    Arch(String wireName) {
        this.wireName = wireName;
    }

    /** {@code amd64} or {@code arm64}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The architecture with this wire name, ignoring case.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static Arch fromWireName(String name) {
        if (name != null) {
            String n = name.toLowerCase(Locale.ROOT);
            for (Arch a : values()) {
                if (a.wireName.equals(n)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + name + "': expected one of "
                + Arrays.stream(values()).map(Arch::wireName).collect(Collectors.joining(", ")));
    }

    /** The architecture of a Java {@code os.arch} value ({@code amd64}, {@code x86_64}, {@code aarch64}). */
    public static Optional<Arch> fromJavaArch(String osArch) {
        if (osArch == null) {
            return Optional.empty();
        }
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> Optional.of(AMD64);
            case "aarch64", "arm64" -> Optional.of(ARM64);
            default -> Optional.empty();
        };
    }

    /** The architecture this JVM runs on, if it is one of these. */
    public static Optional<Arch> current() {
        return fromJavaArch(System.getProperty("os.arch"));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
