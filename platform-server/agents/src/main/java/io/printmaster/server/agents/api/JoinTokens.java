package io.printmaster.server.agents.api;

import java.sql.SQLException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Join tokens as the installer builder needs them. Thread-safe.
 *
 * <p>Every fleet has at most one current <em>installer</em> token: the one embedded in the installers the server
 * builds for it. Unlike tokens an admin mints through the API (shown once, stored only hashed), the installer token
 * must be embedded again in every installer built while it is valid, so its text is kept sealed (AES-GCM, see
 * {@code SecretBox}) beside its hash.
 */
@ProviderType
public interface JoinTokens {

    /**
     * The fleet's current installer token: valid (not expired, not revoked, uses left), minting a new one with the
     * default lifetime (7 days) and no use limit when there is none. Minting is audited as
     * {@code join_token.create} by {@code actor}.
     *
     * @param fleetId an existing fleet
     * @param actor   who asked, for the audit log
     * @throws IllegalArgumentException when the fleet does not exist (the message names it)
     * @throws SQLException when the store fails
     */
    InstallerToken installerToken(String fleetId, String actor) throws SQLException;
}
