package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;

/** Which policy the agent follows, from its mode and whether the server has given it a fleet policy. */
final class EffectiveSource {
    private EffectiveSource() {
    }

    static PolicySource of(Mode mode, boolean fleetPolicyKnown) {
        return switch (mode) {
            case DISABLED -> PolicySource.DISABLED;
            case LOCAL -> PolicySource.LOCAL;
            case INHERIT -> fleetPolicyKnown ? PolicySource.FLEET : PolicySource.LOCAL_FALLBACK;
        };
    }
}
