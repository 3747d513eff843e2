package io.printmaster.server.installers.impl;

import io.printmaster.security.api.SecretBox;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM under a random key, as the server's master-key box does (its class is not visible from here). */
final class TestSecretBox implements SecretBox {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    TestSecretBox() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        key = new SecretKeySpec(k, "AES");
    }

    @Override
    public byte[] seal(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        c.updateAAD(associatedData);
        byte[] ct = c.doFinal(plaintext);
        return ByteBuffer.allocate(12 + ct.length).put(nonce).put(ct).array();
    }

    @Override
    public byte[] open(byte[] sealed, byte[] associatedData) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, Arrays.copyOf(sealed, 12)));
        c.updateAAD(associatedData);
        return c.doFinal(sealed, 12, sealed.length - 12);
    }
}
