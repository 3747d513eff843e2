package io.printmaster.secretbox.impl;

import io.printmaster.security.api.SecretBox;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM under the master key: {@code PM_MASTER_KEY} (base64 of 32 bytes), the file of
 * {@code --master-key-file} / {@code PM_MASTER_KEY_FILE}, or by default {@code <data>.keys/master.key} beside (never
 * inside) the data folder, created on first use readable by the owner only; see {@link MasterKeySource}, which also
 * moves the key of older versions out of the data folder. The server and the agent both run it (the agent seals its
 * credential with it), which is why it lives in a bundle of its own that needs no database. A key file others can
 * read is refused: fail closed rather than trust a key that may have leaked.
 *
 * <p>Sealed layout: version byte {@code 1}, 12-byte random nonce, ciphertext with 16-byte tag.
 */
@Component(service = SecretBox.class)
public class MasterKeySecretBox implements SecretBox {
    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    @Activate
    public MasterKeySecretBox(BundleContext context) throws IOException {
        this(activationKey(context));
    }

    private static byte[] activationKey(BundleContext context) throws IOException {
        try {
            return MasterKeySource.load(System.getenv(), context.getProperty(MasterKeySource.PROP_FILE),
                    dataDir(context.getProperty("pm.data.dir"))).key();
        } catch (IOException e) {
            // one plain line for the admin: the component's failure reaches the log as a long stack trace
            LoggerFactory.getLogger(MasterKeySecretBox.class).error("no secrets can be opened or sealed until this is "
                    + "fixed (nothing that needs them runs): {}", e.getMessage());
            throw e;
        }
    }

    private static Path dataDir(String property) {
        return property == null || property.isBlank() ? null : Path.of(property).toAbsolutePath().normalize();
    }

    /** A box under the given key; for tests and tools (the component reads the key as described above). */
    public MasterKeySecretBox(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    @Override
    public byte[] seal(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(associatedData);
        byte[] ct = cipher.doFinal(plaintext);
        return ByteBuffer.allocate(1 + NONCE_BYTES + ct.length).put(VERSION).put(nonce).put(ct).array();
    }

    @Override
    public byte[] open(byte[] sealed, byte[] associatedData) throws GeneralSecurityException {
        if (sealed.length < 1 + NONCE_BYTES + 16 || sealed[0] != VERSION) {
            throw new GeneralSecurityException("not a sealed secret of a known version");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 1, NONCE_BYTES));
        cipher.updateAAD(associatedData);
        return cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    }

    /** The key as {@link MasterKeySource} finds it; kept for the tests of this package. */
    static byte[] loadKey(Map<String, String> env, Path dataDir) throws IOException {
        return MasterKeySource.load(env, null, dataDir).key();
    }
}
