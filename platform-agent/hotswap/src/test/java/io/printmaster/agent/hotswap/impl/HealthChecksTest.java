package io.printmaster.agent.hotswap.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.update.api.HealthCheckTags;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate finds the server check by its tag, in any form OSGi service properties allow. */
class HealthChecksTest {
    @Test
    void theServerTagIsFoundAsAStringAnArrayOrACollection() {
        String tag = HealthCheckTags.SERVER_REACHABLE;
        assertTrue(HealthChecks.Kind.serverTagged(tag));
        assertTrue(HealthChecks.Kind.serverTagged(" " + tag + " "));
        assertTrue(HealthChecks.Kind.serverTagged(new String[] {"payload", tag}));
        assertTrue(HealthChecks.Kind.serverTagged(List.of("payload", tag)));
    }

    @Test
    void otherChecksAreGeneral() {
        assertFalse(HealthChecks.Kind.serverTagged(null));
        assertFalse(HealthChecks.Kind.serverTagged("payload"));
        assertFalse(HealthChecks.Kind.serverTagged(new String[] {"payload"}));
        assertFalse(HealthChecks.Kind.serverTagged("printmaster.server-reachable-not"));
    }
}
