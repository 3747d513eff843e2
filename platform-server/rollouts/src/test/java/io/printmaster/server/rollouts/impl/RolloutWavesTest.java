package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.agents.api.GateDecision;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admin rollouts: the cap under concurrency, waves, thresholds, pause, abort, late joiners, canary, rollback. */
class RolloutWavesTest {
    @TempDir
    Path dir;
    RolloutsFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release("1.0.0");
        f.release("1.1.0");
        // the fleet's policy would not move anyone (minor pin): only the admin's rollout offers 1.1.0
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void manyConcurrentCheckInsNeverTakeMoreThanMaxConcurrentSlots() throws Exception {
        List<String> agents = f.agents("lab", 120, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 7, 90, 100), Map.of());
        AtomicInteger offers = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (String a : agents) {
                done.add(pool.submit(() -> {
                    GateDecision d = f.checkIn(a, "run-" + a);
                    if (d.kind() == GateDecision.Kind.OFFER) {
                        offers.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(7, offers.get(), "offers");
        assertEquals(7, f.rollout(r.id()).inProgress());
        assertEquals(7, f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE STATE = 'in_progress'"));
        assertEquals(120, f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT"), "every agent placed once");
    }

    @Test
    void theNextWaveOpensOnlyAfterTheSuccessThresholdAndTheDelay() throws Exception {
        List<String> agents = f.agents("lab", 4, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(50),
                RolloutsFixture.percent(50)), 600, 10, 100, 100), Map.of());
        String run0 = f.run();
        String run1 = f.run();
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(0), run0).kind());
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(1), run1).kind());
        GateDecision third = f.checkIn(agents.get(2), f.run());
        assertEquals(GateDecision.Kind.HOLD, third.kind(), "wave 0 is full");
        f.report(agents.get(0), run0, "succeeded", "1.1.0", null);
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(2), f.run()).kind(), "1 of 2: below 100 %");
        f.report(agents.get(1), run1, "succeeded", "1.1.0", null);
        GateDecision waiting = f.checkIn(agents.get(2), f.run());
        assertEquals(GateDecision.Kind.HOLD, waiting.kind(), "threshold reached, delay still running");
        assertTrue(waiting.retryAfterSeconds() > 500 && waiting.retryAfterSeconds() <= 600, "the delay left: "
                + waiting.retryAfterSeconds());
        f.clock.advance(Duration.ofSeconds(599));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(2), f.run()).kind());
        f.clock.advance(Duration.ofSeconds(1));
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(2), f.run()).kind(), "wave 1 opened lazily");
        List<Map<String, Object>> waves = (List<Map<String, Object>>) f.view(r.id()).get("waves");
        assertEquals("done", waves.get(0).get("state"));
        assertEquals("open", waves.get(1).get("state"));
    }

    @Test
    void crossingTheFailureThresholdPausesWithTheReasonAndTheFailingAgents() throws Exception {
        List<String> agents = f.agents("lab", 10, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 10, 90, 20), Map.of());
        List<String> runs = new ArrayList<>();
        for (String a : agents) {
            String run = f.run();
            runs.add(run);
            assertEquals(GateDecision.Kind.OFFER, f.checkIn(a, run).kind());
        }
        f.report(agents.get(0), runs.get(0), "failed", "1.0.0", "HEALTH_CHECK");
        assertEquals(Rollout.RUNNING, f.rollout(r.id()).state(), "1 of 10 is below 20 %");
        f.report(agents.get(1), runs.get(1), "rolled_back", "1.0.0", "HEALTH_CHECK");
        Rollout paused = f.rollout(r.id());
        assertEquals(Rollout.PAUSED, paused.state());
        assertTrue(paused.pausedReason().contains("2 of 10"), paused.pausedReason());
        List<Map<String, Object>> failing = (List<Map<String, Object>>) f.view(r.id()).get("failing_agents");
        assertEquals(2, failing.size());
        // agents already updating finish; nobody new starts
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(2), runs.get(2)).kind());
        String newcomer = f.agent("newcomer", "lab", "1.0.0");
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(newcomer, f.run()).kind());
        Rollout resumed = f.actions.act(paused, "resume", "alice");
        assertEquals(Rollout.RUNNING, resumed.state());
        f.report(agents.get(2), runs.get(2), "failed", "1.0.0", "APPLY_FAILED");
        assertEquals(Rollout.RUNNING, f.rollout(r.id()).state(), "after a resume, a fresh threshold's worth of failures");
        InvalidState refused = assertThrows(InvalidState.class, () -> f.actions.act(f.rollout(r.id()), "resume", "bob"));
        assertEquals(Rollout.RUNNING, refused.state());
    }

    @Test
    void abortStopsOffersAtOnceEvenToAnAgentInTheMiddleOfItsRun() throws Exception {
        List<String> agents = f.agents("lab", 3, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 1, 90, 50), Map.of());
        String run = f.run();
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(0), run).kind());
        Rollout aborted = f.actions.act(r, "abort", "alice");
        assertEquals(Rollout.ABORTED, aborted.state());
        assertEquals("aborted by alice", aborted.endReason());
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(0), run).kind(), "the run learns it and cancels");
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(1), f.run()).kind());
        f.report(agents.get(0), run, "cancelled", "1.0.0", "ROLLOUT_ABORTED");
        assertEquals(1, ((Map<String, Object>) f.view(r.id()).get("counts")).get("cancelled"));
        assertThrows(InvalidState.class, () -> f.actions.act(f.rollout(r.id()), "approve", "alice"));
    }

    @Test
    void agentsEnrolledAfterTheStartJoinTheLastWave() throws Exception {
        List<String> agents = f.agents("lab", 4, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(50),
                RolloutsFixture.percent(50)), 0, 10, 100, 100), Map.of());
        f.clock.advance(Duration.ofSeconds(1));
        String late = f.agent("late", "lab", "1.0.0");
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(late, f.run()).kind(), "the last wave is not open yet");
        String run0 = f.run();
        String run1 = f.run();
        f.checkIn(agents.get(0), run0);
        f.checkIn(agents.get(1), run1);
        f.report(agents.get(0), run0, "succeeded", "1.1.0", null);
        f.report(agents.get(1), run1, "succeeded", "1.1.0", null);
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(late, f.run()).kind());
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE AGENT_ID = '" + late + "' AND WAVE = 1"));
        assertEquals(5, f.rollout(r.id()).targeted(), "targeted grows");
    }

    @Test
    void aNamedCanaryGoesFirstAndTheRestFollowsOnlyAfterIt() throws Exception {
        List<String> agents = f.agents("lab", 5, "1.0.0");
        Plan plan = new Plan(new Plan.Canary(List.of(agents.get(4)), null), List.of(RolloutsFixture.percent(100)), 0,
                10, 0, 100, 100);
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), plan, Map.of(agents.get(4), "lab"));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(0), f.run()).kind(), "not the canary");
        String canaryRun = f.run();
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(4), canaryRun).kind());
        f.report(agents.get(4), canaryRun, "succeeded", "1.1.0", null);
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(0), f.run()).kind());
        List<Map<String, Object>> waves = (List<Map<String, Object>>) f.view(r.id()).get("waves");
        assertEquals(true, waves.get(0).get("canary"));
        assertEquals(1, waves.get(0).get("targeted"));
        assertEquals(4, waves.get(1).get("targeted"));
    }

    @Test
    void rollbackOffersThePreviousVersionOnlyToAgentsThatSucceededThroughTheRollout() throws Exception {
        List<String> agents = f.agents("lab", 3, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 10, 90, 100), Map.of());
        String run0 = f.run();
        String run1 = f.run();
        f.checkIn(agents.get(0), run0);
        f.checkIn(agents.get(1), run1);
        f.report(agents.get(0), run0, "succeeded", "1.1.0", null);
        f.report(agents.get(1), run1, "failed", "1.0.0", "APPLY_FAILED");
        Rollout rolling = f.actions.act(f.rollout(r.id()), "rollback", "alice");
        assertEquals(Rollout.ROLLING_BACK, rolling.state());
        String back = f.run();
        GateDecision d = f.checkIn(agents.get(0), back);
        assertEquals(GateDecision.Kind.ROLLBACK, d.kind());
        assertEquals("1.0.0", d.version());
        assertEquals(r.id(), d.rolloutId());
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(1), f.run()).kind(), "failed: nothing to take back");
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(2), f.run()).kind(), "never took part");
        f.report(agents.get(0), back, "succeeded", "1.0.0", null);
        assertEquals(Rollout.ROLLED_BACK, f.rollout(r.id()).state());
        assertEquals(1, ((Map<String, Object>) f.view(r.id()).get("counts")).get("reverted"));
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(0), f.run()).kind(), "no second rollback");
    }

    @Test
    void aSecondActiveRolloutForTheSameFleetIsRefusedNamingTheFirst() throws Exception {
        f.agents("lab", 2, "1.0.0");
        Plan plan = RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)), 0, 10, 90, 100);
        Rollout first = f.adminRollout("1.1.0", List.of("lab"), plan, Map.of());
        RolloutConflict conflict = assertThrows(RolloutConflict.class,
                () -> f.adminRollout("1.1.0", List.of("lab"), plan, Map.of()));
        assertEquals(first.id(), conflict.rolloutId());
        assertEquals(Collections.singletonList("lab"), first.fleets());
    }
}
