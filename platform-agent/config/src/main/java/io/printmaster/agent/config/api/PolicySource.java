package io.printmaster.agent.config.api;

import java.util.Locale;

/** Where the policy the agent follows right now comes from. */
public enum PolicySource {
    /** {@code mode = inherit} and the server has given this agent its fleet's policy. */
    FLEET,
    /** {@code mode = local}: the local policy, whatever the server says. */
    LOCAL,
    /**
     * {@code mode = inherit} but no fleet policy is known (server never reached, unreachable, or the agent is not
     * configured): the local policy applies until the fleet policy arrives.
     */
    LOCAL_FALLBACK,
    /** {@code mode = disabled}, or a configuration error that makes updating unsafe: no automatic updates. */
    DISABLED;

    /** The name on the wire: {@code fleet}, {@code local}, {@code local_fallback}, {@code disabled}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
