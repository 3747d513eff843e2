package io.printmaster.server.signing.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A root-signed statement the server stored, and the rotation it caused: a delegation of a pending key makes that key
 * the active one (the caller then re-signs the manifests).
 *
 * @param statement  the stored statement, with its sequence
 * @param activation the rotation to the delegated key, when it was pending
 * @since 1.2
 */
public record AcceptedStatement(TrustStatement statement, Optional<Rotation> activation) {
    public AcceptedStatement {
        Objects.requireNonNull(statement, "statement");
        Objects.requireNonNull(activation, "activation");
    }
}
