package io.printmaster.secretbox.impl;

import io.printmaster.security.api.SecretBox;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * AES-256-GCM under a master key taken from {@code PM_MASTER_KEY} (base64 of 32 bytes) or, when unset, from
 * {@code <data>/keys/master.key}, created on first use readable by the owner only. The server and the agent both
 * run it (the agent seals its credential with it), which is why it lives in a bundle of its own that needs no
 * database. A key file others can read is
 * refused: fail closed rather than trust a key that may have leaked.
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
        this(loadKey(System.getenv(), Path.of(context.getProperty("pm.data.dir"), "keys", "master.key")));
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

    static byte[] loadKey(Map<String, String> env, Path file) throws IOException {
        String fromEnv = env.get("PM_MASTER_KEY");
        if (fromEnv != null && !fromEnv.isBlank()) {
            byte[] k;
            try {
                k = Base64.getDecoder().decode(fromEnv.trim());
            } catch (IllegalArgumentException e) {
                throw new IOException("PM_MASTER_KEY is not base64");
            }
            if (k.length != 32) {
                throw new IOException("PM_MASTER_KEY must be the base64 of 32 bytes, got " + k.length + " bytes");
            }
            return k;
        }
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            byte[] k = new byte[32];
            new SecureRandom().nextBytes(k);
            try {
                if (posix) {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } else {
                    Files.createFile(file);
                }
                Files.writeString(file, Base64.getEncoder().encodeToString(k) + "\n");
            } catch (FileAlreadyExistsException raced) {
                return loadKey(env, file);
            }
            return k;
        }
        if (posix) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IOException(file + " is readable by others (" + PosixFilePermissions.toString(perms)
                        + "); run chmod 600 on it");
            }
        }
        byte[] k = Base64.getDecoder().decode(Files.readString(file).trim());
        if (k.length != 32) {
            throw new IOException(file + " does not hold a 32-byte key");
        }
        return k;
    }
}
