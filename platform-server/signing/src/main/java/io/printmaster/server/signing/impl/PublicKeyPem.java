package io.printmaster.server.signing.impl;

import java.util.Base64;
import java.util.HexFormat;

/**
 * An Ed25519 public key as PEM: the X.509 SubjectPublicKeyInfo (RFC 8410) that OpenSSL, the JDK and most tools read.
 * For Ed25519 the DER is a fixed 12-byte prefix (SEQUENCE, AlgorithmIdentifier with OID 1.3.101.112 and no
 * parameters, BIT STRING of 33 bytes with no unused bits) followed by the 32 raw key bytes.
 */
final class PublicKeyPem {
    /** 30 2a (SEQUENCE, 42) 30 05 (SEQUENCE, 5) 06 03 2b 65 70 (OID 1.3.101.112) 03 21 00 (BIT STRING, 33, 0 unused). */
    static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private PublicKeyPem() {
    }

    static byte[] subjectPublicKeyInfo(byte[] rawPublicKey) {
        if (rawPublicKey.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + rawPublicKey.length);
        }
        byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(rawPublicKey, 0, der, ED25519_SPKI_PREFIX.length, 32);
        return der;
    }

    /** PEM with 64-character lines and a final newline (RFC 7468). */
    static String encode(byte[] rawPublicKey) {
        String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(subjectPublicKeyInfo(rawPublicKey));
        return "-----BEGIN PUBLIC KEY-----\n" + base64 + "\n-----END PUBLIC KEY-----\n";
    }
}
