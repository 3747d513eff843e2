package io.printmaster.server.signing.api;

import java.time.Instant;
import java.util.Objects;

/**
 * The offline root of trust, as the server learned it from the first root-signed delegation posted to it. The
 * server only ever holds its public key: it cannot sign delegations or revocations in the root's name.
 *
 * @param id           the first 16 hex digits of the SHA-256 of the raw public key (as for signing keys)
 * @param publicKey    the raw 32-byte Ed25519 public key; copied in and out
 * @param publicKeyPem the same as PEM
 * @param since        when the server learned it
 * @since 1.2
 */
public record RootKey(String id, byte[] publicKey, String publicKeyPem, Instant since) {

    public RootKey {
        Objects.requireNonNull(id, "id");
        publicKey = Objects.requireNonNull(publicKey, "publicKey").clone();
        Objects.requireNonNull(publicKeyPem, "publicKeyPem");
        Objects.requireNonNull(since, "since");
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RootKey r && id.equals(r.id) && java.util.Arrays.equals(publicKey, r.publicKey);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
