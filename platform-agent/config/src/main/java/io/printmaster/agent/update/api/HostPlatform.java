package io.printmaster.agent.update.api;

import java.util.Locale;

/**
 * This machine's platform and arch in PrintMaster's wire names, as the server and release file names spell them:
 * what the agent reports at enrollment and check-in, and what its update worker expects of a signed manifest.
 */
public final class HostPlatform {
    private HostPlatform() {
    }

    /** {@code linux}, {@code windows} or {@code darwin} for this JVM's {@code os.name}. */
    public static String platform() {
        return platform(System.getProperty("os.name", ""));
    }

    /** {@code amd64} or {@code arm64} for this JVM's {@code os.arch}. */
    public static String arch() {
        return arch(System.getProperty("os.arch", ""));
    }

    /** {@code linux}, {@code windows} or {@code darwin}; anything else as the JVM names it (the server refuses it). */
    public static String platform(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("windows")) {
            return "windows";
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return "darwin";
        }
        if (os.startsWith("linux")) {
            return "linux";
        }
        return os.replace(' ', '_');
    }

    /** {@code amd64} or {@code arm64}; anything else as the JVM names it. */
    public static String arch(String osArch) {
        String a = osArch.toLowerCase(Locale.ROOT);
        return switch (a) {
            case "x86_64", "amd64", "x64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }
}
