package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configuration keys are the documented ones, and out-of-range values are bounded. */
class RolloutSettingsTest {

    /** Declarative Services maps a method name to a key: {@code __} → {@code _}, a single {@code _} → {@code .}. */
    private static String key(Method m) {
        return m.getName().replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
    }

    @Test
    void theComponentReadsTheDocumentedKeys() {
        List<String> keys = Arrays.stream(RolloutsConfiguration.class.getDeclaredMethods()).map(RolloutSettingsTest::key)
                .sorted().toList();
        assertEquals(List.of("hold_retry_seconds", "slot_timeout_seconds", "sweep_seconds"), keys);
    }

    @Test
    void valuesAreBounded() {
        RolloutSettings s = new RolloutSettings(5, 0, 100000);
        assertEquals(60, s.slotTimeoutSeconds());
        assertEquals(1, s.holdRetrySeconds());
        assertEquals(3600, s.sweepSeconds());
        assertEquals(7200, RolloutSettings.defaults().slotTimeoutSeconds());
    }
}
