package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.signing.SigningException;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import java.sql.SQLException;
import java.util.Optional;

/** The keys this server trusts for its own releases: its signing keys and, when configured, the root above them. */
interface ServerTrust {
    Optional<SigningKey> key(String keyId) throws SQLException;

    Optional<RootKey> root() throws SQLException;

    /** Whether {@code signature} is key {@code keyId}'s valid signature of exactly {@code message}. */
    boolean verify(String keyId, byte[] message, byte[] signature) throws SigningException;

    static ServerTrust of(SigningKeys keys) {
        return new ServerTrust() {
            @Override
            public Optional<SigningKey> key(String keyId) throws SQLException {
                return keys.find(keyId);
            }

            @Override
            public Optional<RootKey> root() throws SQLException {
                return keys.root();
            }

            @Override
            public boolean verify(String keyId, byte[] message, byte[] signature) throws SigningException {
                return keys.verify(keyId, message, signature);
            }
        };
    }
}
