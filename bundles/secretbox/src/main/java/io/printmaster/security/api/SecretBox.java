package io.printmaster.security.api;

import java.security.GeneralSecurityException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Authenticated encryption (AES-256-GCM) under the server's master key, for secrets stored on disk or in the
 * database. The associated data binds a ciphertext to its purpose (say {@code "signing-key:" + id}) so it cannot be
 * moved to another record.
 */
@ProviderType
public interface SecretBox {

    byte[] seal(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException;

    /** @throws GeneralSecurityException when the ciphertext or its associated data was altered, or the key differs */
    byte[] open(byte[] sealed, byte[] associatedData) throws GeneralSecurityException;
}
