package io.printmaster.api.release;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A digest of an artifact's bytes as published upstream, used to verify a download before anything trusts it.
 * Only SHA-256 exists today; the algorithm is carried so a stronger one can follow.
 *
 * @param algorithm the JDK {@link MessageDigest} name, {@value #SHA_256}
 * @param hex       the digest in lowercase hexadecimal
 */
public record Checksum(String algorithm, String hex) {

    /** The algorithm name for SHA-256 (as {@link MessageDigest#getInstance} spells it). */
    public static final String SHA_256 = "SHA-256";

    /**
     * @throws IllegalArgumentException for an unknown algorithm or a digest of the wrong length or alphabet
     */
    public Checksum {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        if (!SHA_256.equals(algorithm)) {
            throw new IllegalArgumentException("unsupported checksum algorithm '" + algorithm + "': expected " + SHA_256);
        }
        hex = hex.toLowerCase(Locale.ROOT);
        if (hex.length() != 64 || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            throw new IllegalArgumentException("'" + hex + "' is not a SHA-256 digest: expected 64 hexadecimal digits");
        }
    }

    /** A SHA-256 checksum from its hexadecimal form (either case). */
    public static Checksum sha256(String hex) {
        return new Checksum(SHA_256, hex);
    }

    /** A SHA-256 checksum from the 32 digest bytes. */
    public static Checksum sha256(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + digest.length);
        }
        return new Checksum(SHA_256, HexFormat.of().formatHex(digest));
    }

    /** True when {@code digest} (raw bytes computed with {@link #algorithm()}) is this checksum. */
    public boolean matches(byte[] digest) {
        return MessageDigest.isEqual(HexFormat.of().parseHex(hex), digest);
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
