package io.printmaster.api.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KeyMaterialTest {

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void copiesKeysAndHidesThePrivateKey() {
        byte[] pub = filled(32, 1);
        byte[] priv = filled(32, 0xAB);
        KeyMaterial k = new KeyMaterial(SigningProvider.ED25519, pub, priv);
        pub[0] = 9;
        priv[0] = 9;
        assertArrayEquals(filled(32, 1), k.publicKey());
        assertArrayEquals(filled(32, 0xAB), k.privateKey());
        k.privateKey()[1] = 7;
        assertArrayEquals(filled(32, 0xAB), k.privateKey());
        assertEquals("KeyMaterial[Ed25519, public 32 bytes, private key hidden]", k.toString());
        assertFalse(k.toString().toLowerCase().contains(HexFormat.of().formatHex(filled(4, 0xAB))));
    }

    @Test
    void equalityByValue() {
        KeyMaterial a = new KeyMaterial(SigningProvider.ED25519, filled(32, 1), filled(32, 2));
        KeyMaterial b = new KeyMaterial(SigningProvider.ED25519, filled(32, 1), filled(32, 2));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new KeyMaterial(SigningProvider.ED25519, filled(32, 1), filled(32, 3)));
    }

    @Test
    void ed25519KeysHave32Bytes() {
        assertEquals("an Ed25519 public key has 32 bytes, not 31",
                assertThrows(IllegalArgumentException.class,
                        () -> new KeyMaterial(SigningProvider.ED25519, new byte[31], new byte[32])).getMessage());
        assertEquals("an Ed25519 private key has 32 bytes, not 64",
                assertThrows(IllegalArgumentException.class,
                        () -> new KeyMaterial(SigningProvider.ED25519, new byte[32], new byte[64])).getMessage());
    }
}
