package io.printmaster.server.signing.api;

import io.printmaster.api.signing.SigningException;
import org.osgi.annotation.versioning.ProviderType;

/** Signs the exact bytes agents will receive (a manifest) with the server's active key. Thread-safe. */
@ProviderType
public interface ManifestSigner {

    /**
     * Signs exactly these bytes with the active key (creating the first key on first use if none exists).
     *
     * @return the id of the key that signed and the 64-byte Ed25519 signature
     * @throws SigningException when the key cannot be read or opened (storage down, wrong master key) or the
     *     provider fails
     */
    Signature sign(byte[] message) throws SigningException;
}
