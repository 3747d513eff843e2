package io.printmaster.example.releasesource;

import io.printmaster.api.release.Checksum;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The bytes of one demo release: a small ZIP holding {@code <component>/VERSION} and {@code <component>/README.txt},
 * and its SHA-256. A real source downloads its artifacts; this one makes them, so the example runs without a
 * network. Entries carry a fixed time, so the same release always has the same bytes and checksum (the server
 * caches artifacts by checksum: a source whose bytes changed at every restart would look tampered with).
 */
final class DemoArtifact {
    /** Any fixed time works; a DOS time without time zone keeps the bytes the same on every machine's zone. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2024, 1, 1, 0, 0);

    private final byte[] bytes;
    private final Checksum sha256;

    private DemoArtifact(byte[] bytes) {
        this.bytes = bytes;
        this.sha256 = Checksum.sha256(digest(bytes));
    }

    static DemoArtifact of(String component, String version) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            entry(zip, component + "/VERSION", version + "\n");
            entry(zip, component + "/README.txt", "Demo artifact of " + component + " " + version
                    + ", served by the PrintMaster example release source.\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the demo artifact in memory", e); // cannot happen
        }
        return new DemoArtifact(out.toByteArray());
    }

    private static void entry(ZipOutputStream zip, String name, String text) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(ENTRY_TIME);
        zip.putNextEntry(e);
        zip.write(text.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
    }

    private static byte[] digest(byte[] bytes) {
        try {
            return MessageDigest.getInstance(Checksum.SHA_256).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** A copy: callers get their own stream and cannot change what later callers receive. */
    byte[] bytes() {
        return bytes.clone();
    }

    int size() {
        return bytes.length;
    }

    Checksum sha256() {
        return sha256;
    }
}
