package io.printmaster.agent.hotswap.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwapPlanTest {
    private static final String SHA = "a".repeat(64);

    @Test
    void aBundleListedTwiceIsRefusedNamingIt() {
        PlannedBundle a = new PlannedBundle("io.x", "1.0.0", SHA, Path.of("a.jar"));
        PlannedBundle again = new PlannedBundle("io.x", "1.0.1", SHA, Path.of("b.jar"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SwapPlan("1", "2", List.of(a, again), Duration.ofSeconds(5)));
        assertEquals("target: bundle io.x is listed twice", e.getMessage());
    }

    @Test
    void emptyTargetsAndNonPositiveTimeoutsAreRefused() {
        PlannedBundle a = new PlannedBundle("io.x", "1.0.0", SHA, Path.of("a.jar"));
        assertThrows(IllegalArgumentException.class, () -> new SwapPlan("1", "2", List.of(), Duration.ofSeconds(5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SwapPlan("1", "2", List.of(a), Duration.ZERO));
        assertEquals("healthTimeout: must be positive, was PT0S", e.getMessage());
    }

    @Test
    void plannedBundlesNeedALowerCaseSha256AndANameWithoutDirectives() {
        IllegalArgumentException sha = assertThrows(IllegalArgumentException.class,
                () -> new PlannedBundle("io.x", "1.0.0", "A".repeat(64), Path.of("a.jar")));
        assertEquals("sha256: 64 lower-case hex digits expected for io.x, was '" + "A".repeat(64) + "'",
                sha.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> new PlannedBundle("io.x;singleton:=true", "1.0.0", SHA, Path.of("a.jar")));
        assertEquals("symbolicName: a bundle symbolic name without directives, was 'io.x;singleton:=true'",
                name.getMessage());
    }

    @Test
    void theTargetIsACopy() {
        java.util.ArrayList<PlannedBundle> list = new java.util.ArrayList<>();
        list.add(new PlannedBundle("io.x", "1.0.0", SHA, Path.of("a.jar")));
        SwapPlan plan = new SwapPlan("1", "2", list, Duration.ofSeconds(1));
        list.clear();
        assertEquals(1, plan.target().size());
    }
}
