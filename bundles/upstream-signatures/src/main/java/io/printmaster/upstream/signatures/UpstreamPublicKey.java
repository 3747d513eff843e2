package io.printmaster.upstream.signatures;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * The public key an upstream signs its release assets with, as an admin pastes it into {@code upstream_public_key}:
 * <ul>
 *   <li>a minisign public key: the base64 line of a minisign {@code .pub} file ({@code RWQ…}, 42 bytes: {@code Ed},
 *       an 8-byte key id, the 32-byte Ed25519 key); the whole {@code .pub} file, with its
 *       {@code untrusted comment:} line, is accepted too. Signatures are {@code <asset>.minisig}.</li>
 *   <li>an OpenSSH public key line {@code ssh-ed25519 AAAA… comment} (one line of {@code id_ed25519.pub} or of an
 *       {@code allowed_signers} file without its principal). Signatures are {@code <asset>.sig} made by
 *       {@code ssh-keygen -Y sign -n file}.</li>
 * </ul>
 * Immutable.
 */
public final class UpstreamPublicKey {

    /** Which tool's signatures the key verifies. */
    public enum Kind {
        MINISIGN(".minisig"), SSH(".sig");

        private final String signatureSuffix;

        Kind(String signatureSuffix) {
            this.signatureSuffix = signatureSuffix;
        }

        /** The suffix of the signature file beside an asset: {@code .minisig} or {@code .sig}. */
        public String signatureSuffix() {
            return signatureSuffix;
        }
    }

    private final Kind kind;
    private final byte[] ed25519;
    private final byte[] minisignKeyId;

    private UpstreamPublicKey(Kind kind, byte[] ed25519, byte[] minisignKeyId) {
        this.kind = kind;
        this.ed25519 = ed25519;
        this.minisignKeyId = minisignKeyId;
    }

    /**
     * @throws IllegalArgumentException saying what is wrong with the text (without repeating it whole)
     */
    public static UpstreamPublicKey parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must not be empty: a minisign public key (RWQ…) or an 'ssh-ed25519 AAAA…' line");
        }
        String t = text.strip();
        if (t.startsWith("ssh-") || t.startsWith("ecdsa-") || t.startsWith("sk-")) {
            return ssh(t);
        }
        String keyLine = null;
        for (String line : t.split("\r?\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.toLowerCase(Locale.ROOT).startsWith("untrusted comment:")) {
                if (keyLine != null) {
                    throw new IllegalArgumentException("holds more than one key line; give one minisign public key");
                }
                keyLine = l;
            }
        }
        if (keyLine == null) {
            throw new IllegalArgumentException("holds no key line after the comment; expected the base64 line of a minisign .pub");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(keyLine);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is neither an 'ssh-ed25519 AAAA…' line nor a minisign public key (not base64)");
        }
        if (raw.length != 42 || raw[0] != 'E' || raw[1] != 'd') {
            throw new IllegalArgumentException("is not a minisign Ed25519 public key: expected 42 bytes starting with 'Ed', got "
                    + raw.length + " bytes");
        }
        return new UpstreamPublicKey(Kind.MINISIGN, Arrays.copyOfRange(raw, 10, 42), Arrays.copyOfRange(raw, 2, 10));
    }

    private static UpstreamPublicKey ssh(String line) {
        String[] parts = line.split("\\s+");
        if (!parts[0].equals("ssh-ed25519")) {
            throw new IllegalArgumentException("is an SSH key of type '" + parts[0] + "'; only ssh-ed25519 keys are supported");
        }
        if (parts.length < 2) {
            throw new IllegalArgumentException("has no key after 'ssh-ed25519'");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("has an ssh-ed25519 key that is not base64");
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(blob);
            String type = new String(SshSignature.string(b), StandardCharsets.US_ASCII);
            byte[] key = SshSignature.string(b);
            if (!type.equals("ssh-ed25519") || key.length != 32 || b.hasRemaining()) {
                throw new IllegalArgumentException("has a malformed ssh-ed25519 key blob");
            }
            return new UpstreamPublicKey(Kind.SSH, key, null);
        } catch (java.nio.BufferUnderflowException | IllegalStateException e) {
            throw new IllegalArgumentException("has a truncated ssh-ed25519 key blob");
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The 32-byte Ed25519 public key. */
    byte[] ed25519() {
        return ed25519.clone();
    }

    /** The minisign key id (8 bytes), null for an SSH key. */
    byte[] minisignKeyId() {
        return minisignKeyId == null ? null : minisignKeyId.clone();
    }

    /** The signature file expected beside {@code assetName}. */
    public String signatureFileFor(String assetName) {
        return assetName + kind.signatureSuffix();
    }

    @Override
    public String toString() {
        return kind == Kind.MINISIGN
                ? "minisign key " + keyIdText(minisignKeyId)
                : "ssh-ed25519 key " + Base64.getEncoder().encodeToString(ed25519).substring(0, 12) + "…";
    }

    /** A key id as minisign prints it: the 8 bytes as a little-endian number, in uppercase hexadecimal. */
    static String keyIdText(byte[] id) {
        long value = 0;
        for (int i = id.length - 1; i >= 0; i--) {
            value = value << 8 | (id[i] & 0xff);
        }
        return Long.toHexString(value).toUpperCase(Locale.ROOT);
    }
}
