package io.printmaster.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * A folder as the {@code directory} release source reads it: a linux-amd64 agent archive per version (random bytes of
 * a fixed seed: the server verifies checksums, not contents), their {@code SHA256SUMS}, and the source's etc/ file.
 */
final class ReleaseFolder {
    private ReleaseFolder() {
    }

    /** Writes the archives of {@code versions} and their checksums into {@code folder} (created when missing). */
    static Path write(Path folder, long seed, String... versions) throws IOException {
        Files.createDirectories(folder);
        StringBuilder sums = new StringBuilder();
        Random random = new Random(seed);
        for (String v : versions) {
            byte[] bytes = new byte[2000 + random.nextInt(1000)];
            random.nextBytes(bytes);
            String name = "printmaster-agent-v" + v + "-linux-amd64.tar.gz";
            Files.write(folder.resolve(name), bytes);
            sums.append(sha256(bytes)).append("  ").append(name).append('\n');
        }
        Files.writeString(folder.resolve("SHA256SUMS"), sums);
        return folder;
    }

    /** The directory source {@code name} on {@code folder}, as an operator adds it: a file in the data directory's etc/. */
    static void configureSource(Path dataDir, String name, Path folder) throws IOException {
        Files.writeString(dataDir.resolve("etc/io.printmaster.releasesource.directory-" + name + ".cfg"),
                "name=" + name + "\npath=" + folder + "\n");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
