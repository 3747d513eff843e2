package io.printmaster.server.signing.impl;

import io.printmaster.secretbox.impl.MasterKeySecretBox;
import io.printmaster.security.api.SecretBox;
import java.lang.reflect.Constructor;
import java.util.Arrays;

/** The real AES-GCM secret box under a given master key (its key constructor is package-private in the security bundle). */
final class TestSecretBoxes {
    private TestSecretBoxes() {
    }

    static SecretBox withMasterKey(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        try {
            Constructor<MasterKeySecretBox> constructor = MasterKeySecretBox.class.getDeclaredConstructor(byte[].class);
            constructor.setAccessible(true);
            return constructor.newInstance((Object) key);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
