package io.printmaster.secretbox.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeySourceTest {
    @TempDir
    Path dir;

    private static final byte[] AAD = "signing-key:k1".getBytes(StandardCharsets.UTF_8);

    private Path data() throws IOException {
        return Files.createDirectories(dir.resolve("server-data"));
    }

    private static String base64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    private static byte[] key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return k;
    }

    /** A key file as versions before this one wrote it: {@code <data>/keys/master.key}, owner-only. */
    private static Path writeLegacy(Path data, byte[] key) throws IOException {
        Path legacy = data.resolve("keys/master.key");
        Files.createDirectories(legacy.getParent());
        Files.writeString(legacy, base64(key) + "\n");
        Files.setPosixFilePermissions(legacy, PosixFilePermissions.fromString("rw-------"));
        return legacy;
    }

    private static long filesIn(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void byDefaultTheKeyIsCreatedBesideTheDataFolderOwnerOnlyAndReused() throws Exception {
        Path data = data();
        MasterKeySource.Loaded first = MasterKeySource.load(Map.of(), null, data);
        Path expected = dir.resolve("server-data.keys/master.key");
        assertEquals(expected.toString(), first.origin());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(expected)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(expected.getParent())));
        assertEquals(0, filesIn(data), "nothing of the key is inside the data folder");
        try (Stream<Path> s = Files.list(expected.getParent())) {
            assertEquals(1, s.count(), "no temporary file is left beside the key");
        }
        byte[] sealed = new MasterKeySecretBox(first.key()).seal(new byte[] {1, 2, 3}, AAD);
        byte[] again = MasterKeySource.load(Map.of(), null, data).key();
        assertArrayEquals(new byte[] {1, 2, 3}, new MasterKeySecretBox(again).open(sealed, AAD));
    }

    @Test
    void theFlagWinsOverTheEnvironmentFileWhichWinsOverTheDefault() throws Exception {
        Path data = data();
        Path flag = dir.resolve("flag/master.key");
        Path env = dir.resolve("env/master.key");
        MasterKeySource.writeKeyFile(flag, key(1));
        MasterKeySource.writeKeyFile(env, key(2));

        MasterKeySource.Loaded fromFlag = MasterKeySource.load(Map.of("PM_MASTER_KEY_FILE", env.toString()), flag.toString(), data);
        assertArrayEquals(key(1), fromFlag.key());
        assertEquals(flag.toString(), fromFlag.origin());
        MasterKeySource.Loaded fromEnv = MasterKeySource.load(Map.of("PM_MASTER_KEY_FILE", env.toString()), null, data);
        assertArrayEquals(key(2), fromEnv.key());
        assertFalse(Files.exists(MasterKeySource.defaultKeyFile(data)), "a configured file means no default file");

        MasterKeySource.Loaded fromVariable = MasterKeySource.load(Map.of("PM_MASTER_KEY", base64(key(3))), null, data);
        assertArrayEquals(key(3), fromVariable.key());
        assertEquals("the environment variable PM_MASTER_KEY", fromVariable.origin());
        assertFalse(Files.exists(MasterKeySource.defaultKeyFile(data)), "no key file is written when the environment holds the key");
    }

    @Test
    void aKeyFileNamedButMissingIsCreatedThere() throws Exception {
        Path file = dir.resolve("etc-printmaster/server.key");
        byte[] k = MasterKeySource.load(Map.of(), file.toString(), data()).key();
        assertArrayEquals(k, MasterKeySource.readKeyFile(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void theKeyVariableAndAKeyFileTogetherAreRefused() throws Exception {
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(
                Map.of("PM_MASTER_KEY", base64(key(3)), "PM_MASTER_KEY_FILE", "/x/master.key"), null, data()));
        assertTrue(e.getMessage().contains("PM_MASTER_KEY and a master key file"), e.getMessage());
        assertThrows(IOException.class, () -> MasterKeySource.load(Map.of("PM_MASTER_KEY", base64(key(3))), "/x/master.key", data()));
    }

    @Test
    void theKeyVariableIsValidated() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> MasterKeySource.load(Map.of("PM_MASTER_KEY", base64(new byte[16])), null, data()));
        assertEquals("PM_MASTER_KEY must be the base64 of 32 bytes, got 16 bytes", e.getMessage());
        e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of("PM_MASTER_KEY", "not base64!"), null, data()));
        assertEquals("PM_MASTER_KEY is not base64", e.getMessage());
    }

    @Test
    void refusesAKeyFileOthersCanRead() throws Exception {
        Path data = data();
        Path file = MasterKeySource.defaultKeyFile(data);
        MasterKeySource.load(Map.of(), null, data);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data));
        assertEquals(file + " is readable by others (rw-r--r--); run chmod 600 on it", e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data), "group-readable too");
    }

    @Test
    void anOldKeyInsideTheDataFolderIsMovedOutAndStillOpensItsSecrets() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        byte[] sealed = new MasterKeySecretBox(key(9)).seal("signing key".getBytes(StandardCharsets.UTF_8), AAD);

        MasterKeySource.Loaded loaded = MasterKeySource.load(Map.of(), null, data);

        Path moved = MasterKeySource.defaultKeyFile(data);
        assertEquals(moved.toString(), loaded.origin());
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(moved));
        assertFalse(Files.exists(legacy), "the old file is gone");
        assertFalse(Files.exists(legacy.getParent()), "and its empty keys/ folder");
        assertEquals("signing key", new String(new MasterKeySecretBox(loaded.key()).open(sealed, AAD), StandardCharsets.UTF_8));
        assertArrayEquals(key(9), MasterKeySource.load(Map.of(), null, data).key(), "the next start reads the moved key");
    }

    @Test
    void anOldKeyIsMovedToTheNamedFile() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        Path file = dir.resolve("vault/pm.key");
        assertArrayEquals(key(9), MasterKeySource.load(Map.of(), file.toString(), data).key());
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(file));
        assertFalse(Files.exists(legacy));
    }

    @Test
    void aCrashBetweenCopyAndDeleteLosesNothingAndTheNextStartFinishesTheMove() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        IOException crash = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data, (from, to) -> {
            throw new IOException("simulated crash after the copy");
        }));
        assertEquals("simulated crash after the copy", crash.getMessage());
        Path moved = MasterKeySource.defaultKeyFile(data);
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(legacy), "the old copy is still there");
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(moved), "and the new one is complete");

        MasterKeySource.Loaded next = MasterKeySource.load(Map.of(), null, data);
        assertArrayEquals(key(9), next.key());
        assertEquals(moved.toString(), next.origin());
        assertFalse(Files.exists(legacy), "the restart finished the move");
    }

    @Test
    void aCrashDuringTheCopyLeavesTheOldKeyInCharge() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        Path moved = MasterKeySource.defaultKeyFile(data);
        // what a crash before the rename leaves: a temporary file, no key file
        Files.createDirectories(moved.getParent());
        Files.writeString(moved.resolveSibling(".master.key123.tmp"), "half");
        assertArrayEquals(key(9), MasterKeySource.load(Map.of(), null, data).key());
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(moved));
        assertFalse(Files.exists(legacy));
    }

    @Test
    void twoDifferentKeysAreRefusedAndBothKept() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        Path moved = MasterKeySource.defaultKeyFile(data);
        MasterKeySource.writeKeyFile(moved, key(4));
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data));
        assertTrue(e.getMessage().startsWith("two different master keys: " + moved + " and " + legacy), e.getMessage());
        assertArrayEquals(key(9), MasterKeySource.readKeyFile(legacy));
        assertArrayEquals(key(4), MasterKeySource.readKeyFile(moved));
    }

    @Test
    void anOldKeyOthersCanReadIsRefusedNotMoved() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        Files.setPosixFilePermissions(legacy, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data));
        assertTrue(e.getMessage().contains("run chmod 600"), e.getMessage());
        assertTrue(Files.exists(legacy));
        assertFalse(Files.exists(MasterKeySource.defaultKeyFile(data)));
    }

    @Test
    void whenTheDefaultFolderCannotBeMadeTheOldKeyKeepsWorkingInPlace() throws Exception {
        Path data = data();
        Path legacy = writeLegacy(data, key(9));
        // a file where the key folder would go: the folder cannot be created (as for a service account that may not
        // write beside its data folder; this test may run as root, which permissions would not stop)
        Files.writeString(dir.resolve("server-data.keys"), "in the way");
        MasterKeySource.Loaded loaded = MasterKeySource.load(Map.of(), null, data);
        assertArrayEquals(key(9), loaded.key());
        assertEquals(legacy.toString(), loaded.origin());
        assertTrue(Files.exists(legacy), "never lose the only copy");
    }

    @Test
    void whenTheDefaultFolderCannotBeMadeANewInstallFailsNamingTheWayOut() throws Exception {
        Path data = data();
        Files.writeString(dir.resolve("server-data.keys"), "in the way");
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), null, data));
        assertTrue(e.getMessage().startsWith("cannot create the master key file " + MasterKeySource.defaultKeyFile(data)), e.getMessage());
        assertTrue(e.getMessage().contains("--master-key-file / PM_MASTER_KEY_FILE"), e.getMessage());
    }

    @Test
    void aKeyFileThatIsNotAKeyIsRefused() throws Exception {
        Path file = dir.resolve("bad.key");
        Files.writeString(file, base64(new byte[16]));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class, () -> MasterKeySource.load(Map.of(), file.toString(), data()));
        assertEquals(file + " does not hold a 32-byte key", e.getMessage());
    }

    @Test
    void writingNeverReplacesAnExistingKey() throws Exception {
        Path file = dir.resolve("k/master.key");
        MasterKeySource.writeKeyFile(file, key(1));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> MasterKeySource.writeKeyFile(file, key(2)));
        assertArrayEquals(key(1), MasterKeySource.readKeyFile(file));
    }
}
