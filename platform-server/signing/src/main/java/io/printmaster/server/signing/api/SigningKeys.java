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
     * is created and then rotated, so every rotation has a statement. The statement also enters the
     * {@linkplain #trustStatements trust statements}, which retire the previous key on every agent.
     *
     * @param notes the administrator's notes for the new key (at most 2000 characters), or null
     * @param actor who rotates, for the audit log
     * @throws IllegalArgumentException when notes are too long or the actor is blank (the message names the field)
     * @throws IllegalStateException when a root of trust is configured: then a new key needs the root's delegation
     *     before it may sign ({@link #addPendingKey})
     * @throws SigningException when the keys cannot be read, the previous key cannot be opened, or signing fails;
     *     then nothing has changed
     */
    Rotation rotate(String notes, String actor) throws SigningException;

    /**
     * The newest trust statement's sequence, 0 when there is none.
     *
     * @since 1.2
     */
    long trustVersion() throws SQLException;

    /**
     * The trust statements with a sequence above {@code after}, oldest first: what an agent holding
     * {@code trust_version = after} lacks.
     *
     * @since 1.2
     */
    List<TrustStatement> trustStatements(long after) throws SQLException;

    /**
     * The offline root of trust, once a root-signed delegation taught it to the server.
     *
     * @since 1.2
     */
    Optional<RootKey> root() throws SQLException;

    /**
     * Revokes a key that no longer signs (retired or pending): the active key signs a revocation statement, agents
     * stop trusting the key whatever it signed. The active key itself cannot be revoked: rotate first. Audited.
     *
     * @throws java.util.NoSuchElementException when there is no such key
     * @throws IllegalStateException when it is the active key or already revoked (the message says which)
     * @throws IllegalArgumentException when the reason is blank or longer than 500 characters
     * @since 1.2
     */
    TrustStatement revoke(String keyId, String reason, String actor) throws SigningException;

    /**
     * Under a root of trust: a new key that signs nothing until the root's delegation of it is
     * {@linkplain #acceptRootStatement posted}; that delegation then makes it the active key. Audited.
     *
     * @throws IllegalStateException when no root is configured ({@link #rotate} is the way then)
     * @since 1.2
     */
    SigningKey addPendingKey(String notes, String actor) throws SigningException;

    /**
     * Takes a statement the offline root signed (a delegation or a revocation, as {@code ./pm keys} writes them). The
     * first delegation teaches the server the root (its public key is in the statement); later ones must name the
     * same root. A delegation of a pending key makes it the active key (a rotation, signed by the previous key).
     *
     * @throws StatementRefusedException naming what does not verify or does not fit the server's keys
     * @since 1.2
     */
    AcceptedStatement acceptRootStatement(byte[] statement, byte[] signature, String actor)
            throws StatementRefusedException, SigningException;

    /**
     * What a new agent is to trust: the active key, the root, the statements it needs, the trust version.
     *
     * @since 1.2
     */
    AgentTrust agentTrust() throws SigningException;

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
