package io.printmaster.api.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The {@code runtime_sha256} of an agent release (docs/manifests.md): what a process restart depends on, the
 * launcher, the framework, the scripts with their JVM options and {@code conf/}, as opposed to the bundles a running
 * agent can swap. The server computes it over a release archive, the agent over its running program folder; the
 * same rule on both sides, so it lives here. Two equal fingerprints mean a switch between the two releases needs no
 * restart.
 *
 * <p>The rule: SHA-256 (hex) of the UTF-8 text made of one line {@code <path>\0<sha256 of the file>\n} per regular
 * file that {@linkplain #belongsToRuntime belongs to the runtime}, paths relative to the program folder (the
 * archive's top folder) with {@code /}, lines sorted by path.
 *
 * @since 1.0
 */
public final class RuntimeFingerprint {
    private RuntimeFingerprint() {
    }

    /**
     * Whether a file of a program folder is part of the runtime: not under {@code bundle/} (swappable), not
     * {@code VERSION} (every release has its own), not under {@code etc/} (per installation: the fleet files an
     * installer adds), and not an installation's own {@code data/} or {@code versions/} folders, nor
     * {@code data.keys/}, where an agent keeps the master key beside its default data folder.
     *
     * @param relativePath relative to the program folder, {@code /}-separated
     */
    public static boolean belongsToRuntime(String relativePath) {
        return !(relativePath.equals("VERSION") || relativePath.startsWith("bundle/") || relativePath.startsWith("etc/")
                || relativePath.startsWith("data/") || relativePath.startsWith("data.keys/")
                || relativePath.startsWith("versions/"));
    }

    /** The fingerprint of the files given as path → SHA-256 (hex); only runtime files may be given. */
    public static String of(Map<String, String> sha256ByPath) {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(sha256ByPath).forEach((path, sha) -> text.append(path).append('\0').append(sha).append('\n'));
        return HexFormat.of().formatHex(sha256().digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The fingerprint of a program folder on disk (the agent's {@code pm.program.dir}).
     *
     * @throws IOException when a file cannot be read
     */
    public static String ofProgramFolder(Path programFolder) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(programFolder)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                String relative = programFolder.relativize(p).toString().replace('\\', '/');
                if (belongsToRuntime(relative)) {
                    files.put(relative, sha256Of(p));
                }
            }
        }
        return of(files);
    }

    private static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
