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
     * How many agents an installer token enrolls unless configured otherwise: enough for a rollout to a site, few
     * enough that a token copied from an installed machine cannot enroll machines without end.
     *
     * @since 1.1
     */
    int DEFAULT_INSTALLER_MAX_USES = 100;

    /**
     * The most uses an installer token may be given.
     *
     * @since 1.1
     */
    int MAX_INSTALLER_MAX_USES = 1_000_000;

    /**
     * The fleet's current installer token with the default use limit ({@link #DEFAULT_INSTALLER_MAX_USES}): as
     * {@link #installerToken(String, int, String)} with that limit.
     */
    InstallerToken installerToken(String fleetId, String actor) throws SQLException;

    /**
     * The fleet's current installer token with exactly this use limit: valid (not expired, not revoked, uses left,
     * and at least a day to go), minting a new one with the default lifetime (7 days) when there is none. Every
     * installer asking for the same limit embeds the same token, so {@code maxUses} bounds the agents all of them
     * together enroll; a token with another limit (or none, as older versions minted them) is never embedded again.
     * Minting is audited as {@code join_token.create} by {@code actor}.
     *
     * @param fleetId an existing fleet
     * @param maxUses 1 to {@link #MAX_INSTALLER_MAX_USES}
     * @param actor   who asked, for the audit log
     * @throws IllegalArgumentException when the fleet does not exist or {@code maxUses} is out of range (the message
     *                                  names it)
     * @throws SQLException when the store fails
     * @since 1.1
     */
    InstallerToken installerToken(String fleetId, int maxUses, String actor) throws SQLException;

    /**
     * A new installer token for one installer only, never embedded again (its text is not kept): for an installer
     * meant for a known number of machines. Audited like {@link #installerToken(String, int, String)}.
     *
     * @throws IllegalArgumentException when the fleet does not exist or {@code maxUses} is out of range
     * @throws SQLException when the store fails
     * @since 1.1
     */
    InstallerToken dedicatedInstallerToken(String fleetId, int maxUses, String actor) throws SQLException;
}
