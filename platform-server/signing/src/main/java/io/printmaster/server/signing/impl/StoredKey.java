package io.printmaster.server.signing.impl;

import io.printmaster.server.signing.api.SigningKey;

/**
 * A key row: the public view and the private key as stored, sealed under the master key. Stays inside this package.
 */
record StoredKey(SigningKey key, byte[] sealedPrivateKey) {

    @Override
    public String toString() {
        return "StoredKey[" + key + ", sealed private key hidden]";
    }
}
