package io.printmaster.signing.bouncycastle.impl;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.api.signing.SigningProviderType;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.osgi.service.component.annotations.Component;

/**
 * RFC 8032 Ed25519 (pure, no context, no pre-hash) through Bouncy Castle's lightweight API, so it works the same
 * on every JVM without registering a JCA provider. The default provider: it is the one the server signs with unless
 * configured otherwise.
 *
 * <p>Ranking {@code -100}: built-in providers sit below the default ranking 0 so that a vendor's provider wins where
 * a consumer takes "the best" provider without a filter; this one above the JDK's ({@code -200}) because it is the
 * default.
 *
 * <p>Thread-safe: a signer is created per call; the random source is shared (it is thread-safe).
 */
@Component(service = SigningProvider.class, property = "service.ranking:Integer=-100")
@SigningProviderType(name = BouncyCastleSigningProvider.NAME)
@PluginName("Bouncy Castle Ed25519")
public class BouncyCastleSigningProvider implements SigningProvider {

    /** The value of {@value SigningProvider#NAME}. */
    public static final String NAME = "bouncycastle";

    private static final int SIGNATURE_LENGTH = 64;

    private final SecureRandom random = new SecureRandom();

    @Override
    public String algorithm() {
        return ED25519;
    }

    @Override
    public KeyMaterial generateKeyPair() throws SigningException {
        Ed25519PrivateKeyParameters privateKey = new Ed25519PrivateKeyParameters(random);
        byte[] seed = privateKey.getEncoded();
        try {
            return new KeyMaterial(ED25519, privateKey.generatePublicKey().getEncoded(), seed);
        } catch (RuntimeException e) {
            throw new SigningException("Ed25519 key generation failed", e);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    @Override
    public byte[] sign(byte[] privateKey, byte[] message) throws SigningException {
        Objects.requireNonNull(message, "message");
        requireKeyLength("private", privateKey);
        try {
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, new Ed25519PrivateKeyParameters(privateKey, 0));
            signer.update(message, 0, message.length);
            return signer.generateSignature();
        } catch (RuntimeException e) {
            throw new SigningException("Ed25519 signing failed", e);
        }
    }

    @Override
    public boolean verify(byte[] publicKey, byte[] message, byte[] signature) throws SigningException {
        Objects.requireNonNull(message, "message");
        requireKeyLength("public", publicKey);
        Ed25519PublicKeyParameters key;
        try {
            // decodes the point: an encoding that is not a point of the curve is refused here
            key = new Ed25519PublicKeyParameters(publicKey, 0);
        } catch (RuntimeException e) {
            throw new SigningException("the public key is not a valid Ed25519 point", e);
        }
        if (signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, key);
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (RuntimeException e) {
            // a malformed signature is a signature that does not verify
            return false;
        }
    }

    private static void requireKeyLength(String which, byte[] key) throws SigningException {
        if (key == null || key.length != KeyMaterial.ED25519_KEY_LENGTH) {
            throw new SigningException("an Ed25519 " + which + " key has " + KeyMaterial.ED25519_KEY_LENGTH
                    + " bytes, not " + (key == null ? "none" : key.length));
        }
    }
}
