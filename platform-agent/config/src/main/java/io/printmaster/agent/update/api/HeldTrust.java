package io.printmaster.agent.update.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How far this agent has followed the server's trust statements (docs/manifests.md, "Trust statements"): the update
 * worker, which verifies and keeps them, registers it; the check-in reports {@link #trustVersion()} as
 * {@code trust_version}, so the server answers only the statements the agent lacks. While it is absent the
 * check-in reports nothing (version 0) and the server sends every statement; the worker skips those it holds.
 *
 * @since 1.3
 */
@ProviderType
public interface HeldTrust {
    /** The sequence of the newest trust statement this agent holds; 0 when none. */
    long trustVersion();
}
