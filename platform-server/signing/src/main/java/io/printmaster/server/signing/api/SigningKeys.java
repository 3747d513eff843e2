package io.printmaster.server.signing.api;

import io.printmaster.api.signing.SigningException;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's signing keys: exactly one is active (it signs), the others are kept so that what they signed still
 * verifies and so that the chain of {@link #statements() rotation statements} can be followed. Keys are never
 * deleted. Thread-safe; rotations are serialized (also across concurrent callers).
 */
@ProviderType
public interface SigningKeys {

    /** Every key, newest first. */
    List<SigningKey> list() throws SQLException;

    /**
     * The active key, creating the first one if none exists (audited as {@code signing_key.create} by
     * {@code system}).
     *
     * @throws SigningException when the keys cannot be read or a key cannot be created
     */
    SigningKey active() throws SigningException;

    Optional<SigningKey> find(String keyId) throws SQLException;

    /**
     * A new active key; the previous one signs a statement naming the new one. Audited. The previous key stays
     * (inactive, with {@code rotatedAt}) so that what it signed still verifies. When no key exists yet the first one
     * is created and then rotated, so every rotation has a statement.
     *
     * @param notes the administrator's notes for the new key (at most 2000 characters), or null
     * @param actor who rotates, for the audit log
     * @throws IllegalArgumentException when notes are too long or the actor is blank (the message names the field)
     * @throws SigningException when the keys cannot be read, the previous key cannot be opened, or signing fails;
     *     then nothing has changed
     */
    Rotation rotate(String notes, String actor) throws SigningException;

    /** Every rotation statement, oldest first: the chain agents follow from a key they trust to the active one. */
    List<RotationStatement> statements() throws SQLException;

    /**
     * Checks a signature made by one of the server's keys.
     *
     * @return true only when {@code keyId} is a known key and {@code signature} is its valid signature of exactly
     *     {@code message}; false for an unknown key or any other signature
     * @throws SigningException when the keys cannot be read
     */
    boolean verify(String keyId, byte[] message, byte[] signature) throws SigningException;
}
