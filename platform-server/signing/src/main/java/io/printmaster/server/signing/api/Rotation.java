package io.printmaster.server.signing.api;

import java.util.Objects;

/**
 * The outcome of {@link SigningKeys#rotate}: the new active key and the statement the previous key signed about it.
 */
public record Rotation(SigningKey newKey, RotationStatement statement) {

    public Rotation {
        Objects.requireNonNull(newKey, "newKey");
        Objects.requireNonNull(statement, "statement");
    }
}
