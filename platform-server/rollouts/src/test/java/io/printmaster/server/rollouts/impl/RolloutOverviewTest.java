package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.server.rollouts.api.RolloutOverview;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RolloutOverview} on a real Derby: active rollouts with the API's counts, per fleet; a fleet's target. */
class RolloutOverviewTest {
    @TempDir
    Path dir;
    RolloutsFixture f;
    RolloutOverviewComponent overview;

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        overview = new RolloutOverviewComponent(f.store, f.fleets, f.directory, f.catalog());
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
        f.fleets.set("prod", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void activeRolloutsWithTheirCountsFilteredByFleet() throws Exception {
        List<String> lab = f.agents("lab", 3, "1.0.0");
        f.agents("prod", 2, "1.0.0");
        f.release("1.1.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 10, 100, 100), Map.of());
        String run = f.run();
        f.checkIn(lab.get(0), run);
        f.report(lab.get(0), run, "succeeded", "1.1.0", null);

        List<RolloutOverview.ActiveRollout> all = overview.active(Optional.empty());
        assertEquals(List.of(r.id()), all.stream().map(RolloutOverview.ActiveRollout::id).toList());
        RolloutOverview.ActiveRollout a = all.get(0);
        assertEquals("running", a.state());
        assertEquals(List.of("lab"), a.fleets());
        assertEquals(f.view(r.id()).get("counts"), a.counts(), "the counts of GET /api/v1/rollouts/{id}");
        assertEquals(1, a.counts().get("succeeded"));
        assertEquals(List.of(), overview.active(Optional.of(Set.of("prod"))));

        f.actions.act(f.rollout(r.id()), "abort", "alice");
        assertEquals(List.of(), overview.active(Optional.empty()), "an aborted rollout is not active");
    }

    @Test
    void theTargetIsWhatThePolicyPicksElseWhatTheAgentsRun() throws Exception {
        f.agents("lab", 2, "1.0.0");
        f.agents("lab", 1, "1.1.0");
        assertEquals(Optional.of("1.1.0"), overview.targetVersion("lab", "agent"), "nothing cached: the newest run");
        f.release("1.0.3");
        f.release("1.2.0");
        assertEquals(Optional.of("1.0.3"), overview.targetVersion("lab", "agent"), "a minor pin keeps 1.0.x");
        assertEquals(Optional.empty(), overview.targetVersion("empty", "agent"));
    }
}
