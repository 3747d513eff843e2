package io.printmaster.api.platform;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** An operating system family, with the wire names Go and most release pipelines use. */
public enum Os {
    /** Linux. */
    LINUX("linux"),
    /** Windows. */
    WINDOWS("windows"),
    /** macOS. */
    DARWIN("darwin");

    private final String wireName;

    Os(String wireName) {
        this.wireName = wireName;
    }

    /** {@code linux}, {@code windows} or {@code darwin}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The OS with this wire name, ignoring case.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static Os fromWireName(String name) {
        if (name != null) {
            String n = name.toLowerCase(Locale.ROOT);
            for (Os os : values()) {
                if (os.wireName.equals(n)) {
                    return os;
                }
            }
        }
        throw new IllegalArgumentException("unknown operating system '" + name + "': expected one of "
                + Arrays.stream(values()).map(Os::wireName).collect(Collectors.joining(", ")));
    }

    /** The family of a Java {@code os.name} value ({@code Linux}, {@code Windows 11}, {@code Mac OS X}). */
    public static Optional<Os> fromJavaOsName(String osName) {
        if (osName == null) {
            return Optional.empty();
        }
        String n = osName.toLowerCase(Locale.ROOT);
        if (n.startsWith("linux")) {
            return Optional.of(LINUX);
        }
        if (n.startsWith("windows")) {
            return Optional.of(WINDOWS);
        }
        if (n.startsWith("mac") || n.startsWith("darwin")) {
            return Optional.of(DARWIN);
        }
        return Optional.empty();
    }

    /** The OS this JVM runs on, if it is one of these. */
    public static Optional<Os> current() {
        return fromJavaOsName(System.getProperty("os.name"));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
