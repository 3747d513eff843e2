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
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeySecretBoxTest {
    @TempDir
    Path dir;

    private static final byte[] AAD = "signing-key:k1".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealsAndOpensWithTheSameKeyAndPurpose() throws Exception {
        MasterKeySecretBox box = new MasterKeySecretBox(MasterKeySecretBox.loadKey(Map.of(), dir.resolve("keys/master.key")));
        byte[] secret = "private key bytes".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = box.seal(secret, AAD);
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("private key bytes"));
        assertArrayEquals(secret, box.open(sealed, AAD));
    }

    @Test
    void refusesTamperingAndAnotherPurpose() throws Exception {
        MasterKeySecretBox box = new MasterKeySecretBox(new byte[32]);
        byte[] sealed = box.seal("x".getBytes(StandardCharsets.UTF_8), AAD);
        assertThrows(GeneralSecurityException.class, () -> box.open(sealed, "join-token:1".getBytes(StandardCharsets.UTF_8)));
        sealed[sealed.length - 1] ^= 1;
        assertThrows(GeneralSecurityException.class, () -> box.open(sealed, AAD));
    }

    @Test
    void keyFileIsCreatedOwnerOnlyAndReusedAcrossRestarts() throws Exception {
        Path file = dir.resolve("keys/master.key");
        byte[] first = MasterKeySecretBox.loadKey(Map.of(), file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        byte[] sealed = new MasterKeySecretBox(first).seal(new byte[] {1, 2, 3}, AAD);
        byte[] second = MasterKeySecretBox.loadKey(Map.of(), file);
        assertArrayEquals(new byte[] {1, 2, 3}, new MasterKeySecretBox(second).open(sealed, AAD));
    }

    @Test
    void refusesAKeyFileOthersCanRead() throws Exception {
        Path file = dir.resolve("keys/master.key");
        MasterKeySecretBox.loadKey(Map.of(), file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> MasterKeySecretBox.loadKey(Map.of(), file));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void environmentKeyWinsAndIsValidated() throws Exception {
        byte[] k = new byte[32];
        k[0] = 7;
        assertArrayEquals(k, MasterKeySecretBox.loadKey(Map.of("PM_MASTER_KEY", Base64.getEncoder().encodeToString(k)), dir.resolve("none")));
        assertFalse(Files.exists(dir.resolve("none")), "no key file is written when the environment provides the key");
        IOException e = assertThrows(IOException.class,
                () -> MasterKeySecretBox.loadKey(Map.of("PM_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[16])), dir.resolve("none")));
        assertTrue(e.getMessage().contains("32 bytes"));
    }
}
