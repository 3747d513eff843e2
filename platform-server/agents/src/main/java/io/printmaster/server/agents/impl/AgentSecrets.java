package io.printmaster.server.agents.impl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Random secrets and ids of this bundle, and the digests stored in their place. Secrets carry 256 random bits, so a
 * plain SHA-256 is enough to store them (no password hashing needed: nothing to brute-force).
 */
final class AgentSecrets {
    /** Join token text: {@code pmj_} + 256 random bits. */
    static final String JOIN_TOKEN_PREFIX = "pmj_";
    /** Agent credential: {@code pma_} + 256 random bits. */
    static final String CREDENTIAL_PREFIX = "pma_";
    static final String AGENT_ID_PREFIX = "agt_";
    static final String JOIN_TOKEN_ID_PREFIX = "jt_";

    private final SecureRandom random;

    AgentSecrets(SecureRandom random) {
        this.random = random;
    }

    /** A URL-safe secret of 256 random bits behind a readable kind prefix. */
    String secret(String prefix) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A public identifier (not a secret): 96 random bits in lowercase hex, fit for URLs. */
    String id(String prefix) {
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    static String sha256Hex(String secret) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
