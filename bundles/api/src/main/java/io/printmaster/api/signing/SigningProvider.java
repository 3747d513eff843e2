package io.printmaster.api.signing;

import io.printmaster.api.plugin.PluginName;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Signature cryptography for manifests: generate Ed25519 (RFC 8032) key pairs, sign, verify. Keys and signatures
 * are raw bytes (32-byte keys, 64-byte signatures), so any two providers of the same algorithm are interchangeable:
 * a manifest signed by one verifies with the other.
 *
 * <p>Register an implementation as an OSGi service with {@link SigningProviderType} (and {@link PluginName}):
 * <pre>{@code
 * @Component(service = SigningProvider.class)
 * @SigningProviderType(name = "bouncycastle")
 * @PluginName("Bouncy Castle Ed25519")
 * public class BouncyCastleSigningProvider implements SigningProvider { ... }
 * }</pre>
 * Which provider is used is chosen by configuration (a target filter on {@link #NAME}). Implementations must be
 * thread-safe and must not keep or log private keys.
 */
@ConsumerType
public interface SigningProvider {

    /** The algorithm name of Ed25519, as the JDK and RFC 8032 spell it. */
    String ED25519 = "Ed25519";

    /** Service property: the provider's name ({@code bouncycastle}, {@code jdk}). */
    String NAME = "printmaster.signing.provider.name";

    /** Service property: the algorithm it implements, {@value #ED25519}. */
    String ALGORITHM = "printmaster.signing.provider.algorithm";

    /** Service property: the plugin's human-readable name, see {@link PluginName}. */
    String PLUGIN_NAME = PluginName.PROPERTY;

    /** The algorithm: {@value #ED25519}. */
    String algorithm();

    /**
     * A new key pair from a cryptographically strong random source.
     *
     * @throws SigningException when the cryptography fails
     */
    KeyMaterial generateKeyPair() throws SigningException;

    /**
     * Signs {@code message} (the exact bytes that will be delivered) with a raw private key.
     *
     * @return the raw signature (64 bytes for Ed25519)
     * @throws SigningException when the key is malformed or the cryptography fails
     */
    byte[] sign(byte[] privateKey, byte[] message) throws SigningException;

    /**
     * Checks a signature of {@code message} against a raw public key.
     *
     * @return true only when the signature is valid for exactly these bytes and this key; false for any other
     * signature, including one of the wrong length
     * @throws SigningException when the public key is malformed (callers must treat that as "not verified")
     */
    boolean verify(byte[] publicKey, byte[] message, byte[] signature) throws SigningException;
}
