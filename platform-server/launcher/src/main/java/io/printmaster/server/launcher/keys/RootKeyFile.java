package io.printmaster.server.launcher.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * The offline root's private key at rest ({@code root-key.json}): the PKCS#8 encoding of the Ed25519 private key,
 * encrypted with AES-256-GCM under a key derived from the passphrase with scrypt (memory-hard: N = 2^17, r = 8,
 * p = 1, 128 MiB per guess), with the key id as associated data so the file cannot be paired with another public
 * key. Everything needed to open it (salt, nonce, parameters) is in the file; the passphrase never is.
 */
final class RootKeyFile {
    static final String FORMAT = "printmaster.root-key.v1";
    static final int SCRYPT_N = 1 << 17;
    static final int SCRYPT_R = 8;
    static final int SCRYPT_P = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** An opened root key: its id, raw public key and private key. */
    record Opened(String keyId, byte[] publicKey, PrivateKey privateKey) {
    }

    private RootKeyFile() {
    }

    static KeyPair generate() throws GeneralSecurityException {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    /** The file's members for {@code pair}, sealed with {@code passphrase}. */
    static Map<String, Object> seal(KeyPair pair, char[] passphrase) throws GeneralSecurityException {
        byte[] raw = Ed25519.raw(pair.getPublic());
        String keyId = Ed25519.keyId(raw);
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(salt);
        RANDOM.nextBytes(nonce);
        byte[] key = derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        try {
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            aes.updateAAD(keyId.getBytes(StandardCharsets.US_ASCII));
            byte[] sealed = aes.doFinal(pkcs8);
            Map<String, Object> kdf = new LinkedHashMap<>();
            kdf.put("name", "scrypt");
            kdf.put("n", SCRYPT_N);
            kdf.put("r", SCRYPT_R);
            kdf.put("p", SCRYPT_P);
            kdf.put("salt", b64(salt));
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("format", FORMAT);
            file.put("key_id", keyId);
            file.put("public_key", b64(raw));
            file.put("kdf", kdf);
            file.put("cipher", "AES-256-GCM");
            file.put("nonce", b64(nonce));
            file.put("ciphertext", b64(sealed));
            return file;
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * Opens a root key file.
     *
     * @throws IllegalArgumentException when the file is not a root key file or the passphrase does not open it
     */
    static Opened open(Map<String, Object> file, char[] passphrase) throws GeneralSecurityException {
        if (!FORMAT.equals(file.get("format"))) {
            throw new IllegalArgumentException("not a root key file (format " + FORMAT + ")");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> kdf = (Map<String, Object>) file.get("kdf");
        if (kdf == null || !"scrypt".equals(kdf.get("name"))) {
            throw new IllegalArgumentException("the root key file names no scrypt parameters");
        }
        String keyId = String.valueOf(file.get("key_id"));
        byte[] raw = unb64(file.get("public_key"));
        if (raw.length != 32 || !Ed25519.keyId(raw).equals(keyId)) {
            throw new IllegalArgumentException("the root key file's key_id does not match its public key");
        }
        int n = ((Number) kdf.get("n")).intValue();
        int r = ((Number) kdf.get("r")).intValue();
        int p = ((Number) kdf.get("p")).intValue();
        if (n < 1 << 14 || n > 1 << 22 || Integer.bitCount(n) != 1 || r < 1 || r > 32 || p < 1 || p > 16) {
            throw new IllegalArgumentException("the root key file's scrypt parameters are out of range");
        }
        byte[] key = derive(passphrase, unb64(kdf.get("salt")), n, r, p);
        byte[] pkcs8 = null;
        try {
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, unb64(file.get("nonce"))));
            aes.updateAAD(keyId.getBytes(StandardCharsets.US_ASCII));
            pkcs8 = aes.doFinal(unb64(file.get("ciphertext")));
            PrivateKey privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            return new Opened(keyId, raw, privateKey);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("the passphrase does not open the root key (or the file was changed)");
        } finally {
            Arrays.fill(key, (byte) 0);
            if (pkcs8 != null) {
                Arrays.fill(pkcs8, (byte) 0);
            }
        }
    }

    private static byte[] derive(char[] passphrase, byte[] salt, int n, int r, int p) {
        byte[] utf8 = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(passphrase)).array();
        int length = 0;
        while (length < utf8.length && utf8[length] != 0) {
            length++; // CharsetEncoder pads the backing array with zeros
        }
        byte[] secret = Arrays.copyOf(utf8, length);
        try {
            return SCrypt.generate(secret, salt, n, r, p, 32);
        } finally {
            Arrays.fill(utf8, (byte) 0);
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] unb64(Object value) {
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("the root key file is incomplete");
        }
        return Base64.getDecoder().decode(s);
    }
}
