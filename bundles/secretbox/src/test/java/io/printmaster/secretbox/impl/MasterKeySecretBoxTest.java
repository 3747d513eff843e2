package io.printmaster.secretbox.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The box itself; where its key comes from is {@link MasterKeySourceTest}'s. */
class MasterKeySecretBoxTest {
    @TempDir
    Path dir;

    private static final byte[] AAD = "signing-key:k1".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealsAndOpensWithTheSameKeyAndPurpose() throws Exception {
        MasterKeySecretBox box = new MasterKeySecretBox(MasterKeySecretBox.loadKey(Map.of(), dir.resolve("data")));
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
    void anotherKeyCannotOpen() throws Exception {
        byte[] sealed = new MasterKeySecretBox(MasterKeySecretBox.loadKey(Map.of(), dir.resolve("a"))).seal(new byte[] {1}, AAD);
        MasterKeySecretBox other = new MasterKeySecretBox(MasterKeySecretBox.loadKey(Map.of(), dir.resolve("b")));
        assertThrows(GeneralSecurityException.class, () -> other.open(sealed, AAD),
                "every data folder gets its own key: servers on temporary folders never share one");
    }
}
