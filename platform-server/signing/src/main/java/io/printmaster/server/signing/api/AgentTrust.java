package io.printmaster.server.signing.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a new agent must trust and nothing more (an installer's {@code etc/trust.json}): the active key, the root
 * when one is configured, the statements the agent needs to use the active key (its delegation under a root), and
 * the trust version those stand for, so the agent is sent only newer statements. Retired and revoked keys are never
 * in it.
 *
 * @param trustVersion      the newest statement sequence the server has (0 when none)
 * @param activeKey         the key that signs now
 * @param root              the offline root, or null without one
 * @param statements        the statements a new agent needs (oldest first)
 * @param activeKeyExpiresAt when the active key's delegation expires; null without a root
 * @since 1.2
 */
public record AgentTrust(long trustVersion, SigningKey activeKey, RootKey root, List<TrustStatement> statements,
                         Instant activeKeyExpiresAt) {

    public AgentTrust {
        Objects.requireNonNull(activeKey, "activeKey");
        statements = List.copyOf(statements);
    }
}
