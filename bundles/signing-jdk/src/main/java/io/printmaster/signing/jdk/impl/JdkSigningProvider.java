package io.printmaster.signing.jdk.impl;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.api.signing.SigningProviderType;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * RFC 8032 Ed25519 on the JDK's own EdDSA (the SunEC provider, Java 15 and later): no third-party code. Keys cross
 * the {@link SigningProvider} boundary raw (32 bytes each), so they are converted to and from the JDK's key specs
 * here; see {@link #toPoint} and {@link #encode} for the public key's encoding.
 *
 * <p>Ranking {@code -200}: below the default Bouncy Castle provider ({@code -100}), and like it below the default
 * ranking 0 so that a vendor's provider wins where a consumer takes "the best" provider without a filter.
 *
 * <p>Thread-safe: JCA objects are created per call (they are not thread-safe); the random source is shared.
 */
@Component(service = SigningProvider.class, property = "service.ranking:Integer=-200")
@SigningProviderType(name = JdkSigningProvider.NAME)
@PluginName("JDK EdDSA (Ed25519)")
public class JdkSigningProvider implements SigningProvider {

    /** The value of {@value SigningProvider#NAME}. */
    public static final String NAME = "jdk";

    private static final int KEY_LENGTH = KeyMaterial.ED25519_KEY_LENGTH;
    private static final int SIGNATURE_LENGTH = 64;
    /** The field prime of Curve25519, 2^255 - 19: a public key's y coordinate is below it. */
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    private final SecureRandom random = new SecureRandom();

    @Override
    public String algorithm() {
        return ED25519;
    }

    @Override
    public KeyMaterial generateKeyPair() throws SigningException {
        byte[] seed = null;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ED25519);
            generator.initialize(NamedParameterSpec.ED25519, random);
            KeyPair pair = generator.generateKeyPair();
            seed = ((EdECPrivateKey) pair.getPrivate()).getBytes()
                    .orElseThrow(() -> new SigningException("the JDK did not reveal the generated private key"));
            return new KeyMaterial(ED25519, encode(((EdECPublicKey) pair.getPublic()).getPoint()), seed);
        } catch (GeneralSecurityException e) {
            throw e instanceof SigningException s ? s : new SigningException("Ed25519 key generation failed", e);
        } finally {
            if (seed != null) {
                Arrays.fill(seed, (byte) 0);
            }
        }
    }

    @Override
    public byte[] sign(byte[] privateKey, byte[] message) throws SigningException {
        Objects.requireNonNull(message, "message");
        requireKeyLength("private", privateKey);
        try {
            // the spec copies the seed; RFC 8032 private keys are any 32 bytes, so this cannot be malformed
            PrivateKey key = KeyFactory.getInstance(ED25519)
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, privateKey));
            Signature signer = Signature.getInstance(ED25519);
            signer.initSign(key);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new SigningException("Ed25519 signing failed", e);
        }
    }

    @Override
    public boolean verify(byte[] publicKey, byte[] message, byte[] signature) throws SigningException {
        Objects.requireNonNull(message, "message");
        requireKeyLength("public", publicKey);
        EdECPoint point = toPoint(publicKey);
        Signature verifier;
        try {
            PublicKey key = KeyFactory.getInstance(ED25519)
                    .generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, point));
            verifier = Signature.getInstance(ED25519);
            // the JDK decodes the point here: an encoding that is not a point of the curve is refused
            verifier.initVerify(key);
        } catch (InvalidKeyException | InvalidKeySpecException e) {
            throw new SigningException("the public key is not a valid Ed25519 point", e);
        } catch (GeneralSecurityException e) {
            throw new SigningException("Ed25519 verification failed", e);
        }
        if (signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            verifier.update(message);
            return verifier.verify(signature);
        } catch (SignatureException e) {
            // a malformed signature (say S not below the group order) is a signature that does not verify
            return false;
        }
    }

    /**
     * RFC 8032 section 5.1.2: the 32 bytes are y in little-endian order, and the top bit of the last byte (unused
     * by y, which is below 2^255) holds the lowest bit of x, the "x is odd" flag.
     *
     * @throws SigningException when y is not below the field prime (a non-canonical encoding)
     */
    static EdECPoint toPoint(byte[] raw) throws SigningException {
        byte[] bigEndian = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            bigEndian[i] = raw[KEY_LENGTH - 1 - i];
        }
        boolean xOdd = (bigEndian[0] & 0x80) != 0;
        bigEndian[0] &= 0x7F;
        BigInteger y = new BigInteger(1, bigEndian);
        if (y.compareTo(P) >= 0) {
            throw new SigningException("the public key is not a valid Ed25519 point (y is not below 2^255 - 19)");
        }
        return new EdECPoint(xOdd, y);
    }

    /** The inverse of {@link #toPoint}: y little-endian in 32 bytes, the x-odd flag in the top bit. */
    static byte[] encode(EdECPoint point) {
        byte[] bigEndian = point.getY().toByteArray(); // may carry a leading zero byte, or be shorter than 32
        byte[] raw = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH && i < bigEndian.length; i++) {
            raw[i] = bigEndian[bigEndian.length - 1 - i];
        }
        if (point.isXOdd()) {
            raw[KEY_LENGTH - 1] |= (byte) 0x80;
        }
        return raw;
    }

    private static void requireKeyLength(String which, byte[] key) throws SigningException {
        if (key == null || key.length != KEY_LENGTH) {
            throw new SigningException("an Ed25519 " + which + " key has " + KEY_LENGTH
                    + " bytes, not " + (key == null ? "none" : key.length));
        }
    }
}
