package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 3, with the real server process: the master key that seals every secret is not in the data folder.
 * A fresh server creates it beside the folder ({@code <data>.keys/master.key}, 0600 in a 0700 folder) and keeps the
 * data folder 0700 with its files 0600; a data folder as older versions left it ({@code <data>/keys/master.key}) has
 * its key moved out at start and its secrets still open (the sealed signing key still signs a rotation that verifies
 * with OpenSSL); and a copy of the data folder alone opens nothing.
 */
class MasterKeyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    @TempDir
    Path work;

    static Path keyBeside(Path data) {
        return data.resolveSibling(data.getFileName() + ".keys").resolve("master.key");
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** Everything under {@code folder} others may read, write or enter: empty when it is the owner's alone. */
    static List<String> notOwnerOnly(Path folder) throws IOException {
        List<String> loose = new ArrayList<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                try {
                    if (!Files.isSymbolicLink(p) && Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).stream()
                            .anyMatch(GROUP_OR_OTHERS::contains)) {
                        loose.add(folder.relativize(p) + " " + mode(p));
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // a file that went while we looked (a temporary file) is no file of the data folder
                }
            }
        }
        return loose;
    }

    /** Whether any file under {@code folder} holds {@code text}: a user's grep. */
    static List<Path> filesContaining(Path folder, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        List<Path> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(p);
                } catch (IOException gone) {
                    continue;
                }
                for (int i = 0; i + needle.length <= bytes.length; i++) {
                    if (bytes[i] == needle[0] && java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                        found.add(p);
                        break;
                    }
                }
            }
        }
        return found;
    }

    @Test
    void aFreshServerKeepsItsKeyBesideTheDataFolderAndTheFolderToItsOwner() throws Exception {
        Path data = Files.createDirectories(work.resolve("fresh-data"));
        try (ServerProcess server = ServerProcess.start("master-key-fresh", data)) {
            Path key = keyBeside(data);
            assertTrue(Files.isRegularFile(key), "the key is created beside the data folder: " + key);
            assertEquals("rw-------", mode(key));
            assertEquals("rwx------", mode(key.getParent()));
            assertFalse(Files.exists(data.resolve("keys")), "no keys/ folder inside the data folder");
            String keyText = Files.readString(key).strip();
            assertEquals(32, java.util.Base64.getDecoder().decode(keyText).length);
            assertEquals(List.of(), filesContaining(data, keyText), "no file of the data folder holds the key");
            assertTrue(Files.readString(server.log()).contains("created the master key " + key), server.logTail());

            assertEquals("rwx------", mode(data));
            // files written after the start (logs, release cache) are tightened too, even though this test's JVM
            // starts the server with a umask that lets others read new files
            Eventually.within(WAIT, () -> assertEquals(List.of(), notOwnerOnly(data)));
            if (Files.readString(server.log()).contains("are made owner-only every 30 s")) {
                // a file that appears later with the loose mode (as the server's own writes get under umask 022)
                Path late = Files.writeString(data.resolve("logs/written-later.log"), "x");
                Files.setPosixFilePermissions(late, PosixFilePermissions.fromString("rw-r--r--"));
                Eventually.within(Duration.ofSeconds(75), () -> assertEquals("rw-------", mode(late)));
            }
        }
    }

    @Test
    void anOldLayoutHasItsKeyMovedOutAndItsSecretsStillOpenWhileACopyOfTheDataFolderAloneOpensNothing() throws Exception {
        Path data = Files.createDirectories(work.resolve("old-data"));
        String keyId;
        try (ServerProcess first = ServerProcess.start("master-key-before", data)) {
            ReleaseIntakeIT.Admin admin = ReleaseIntakeIT.Admin.login(first);
            // the built-in release source signs the shipped agents' manifests: the first signing key is sealed now
            Eventually.within(WAIT, () -> assertFalse(admin.get("/api/v1/releases/manifests").get("manifests").isEmpty()));
            keyId = admin.get("/api/v1/releases/manifests").get("manifests").get(0).get("key_id").asText();
        }
        // turn it into what an older version left: the key inside the data folder, nothing beside it
        Path beside = keyBeside(data);
        byte[] key = Files.readAllBytes(beside);
        Path legacy = Files.createDirectories(data.resolve("keys")).resolve("master.key");
        Files.move(beside, legacy, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(beside.getParent());
        Path copy = work.resolve("copied-data");
        copyTree(data, copy); // a backup of the data folder alone, as an upgraded server's looks: no key in it
        Files.delete(copy.resolve("keys/master.key"));

        try (ServerProcess upgraded = ServerProcess.start("master-key-upgraded", data)) {
            assertFalse(Files.exists(legacy), "the key left the data folder");
            assertFalse(Files.exists(data.resolve("keys")));
            assertArrayEquals(key, Files.readAllBytes(beside), "moved, not replaced");
            assertEquals("rw-------", mode(beside));
            assertTrue(Files.readString(upgraded.log()).contains("moved the master key out of the data folder: " + legacy
                    + " -> " + beside), upgraded.logTail());

            ReleaseIntakeIT.Admin admin = ReleaseIntakeIT.Admin.login(upgraded);
            Path oldPem = admin.pem(keyId, work.resolve("old.pem"));
            HttpResponse<String> rotated = admin.post("/api/v1/releases/signing-keys/rotate",
                    Map.of("notes", "after the master key moved", "regenerate_manifests", false));
            assertEquals(200, rotated.statusCode(), "the sealed signing key opens with the moved master key: " + rotated.body());
            JsonNode rotations = admin.get("/api/v1/releases/signing-keys/rotations").get("rotations");
            JsonNode last = rotations.get(rotations.size() - 1);
            assertEquals(keyId, last.get("old_key_id").asText());
            assertEquals(0, ReleaseIntakeIT.Openssl.verify(oldPem, last.get("statement").asText(),
                    last.get("signature").asText(), work), "the old key, sealed before the move, signed the rotation");
        }

        // the copy has the database with the sealed signing key, but not the key that opens it: the server fails
        // closed at start (health DOWN, naming the master key check) instead of sealing secrets under a key of its own
        try (ServerProcess fromCopy = ServerProcess.startUnhealthy("master-key-copy", copy)) {
            fromCopy.awaitLog("this server's master key is not the one the database's secrets are sealed with", WAIT);
            assertFalse(java.util.Arrays.equals(key, Files.readAllBytes(keyBeside(copy))), "the copy got a key of its own");
            Eventually.within(WAIT, () -> {
                HttpResponse<String> health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                        .newBuilder(fromCopy.uri("/api/v1/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains("MasterKeyCheck"), "health names the failed check: " + health.body());
            });
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
