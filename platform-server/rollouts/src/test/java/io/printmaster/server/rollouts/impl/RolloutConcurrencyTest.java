package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.agents.api.GateDecision;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Check-ins and run ends of many agents at once, from many threads, on one database (as several server processes
 * would): the cap holds at every moment, nothing deadlocks, and the rollout completes with every agent counted once.
 */
class RolloutConcurrencyTest {
    @TempDir
    Path dir;
    RolloutsFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release("1.0.0");
        f.release("1.1.0");
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void checkInsAndRunEndsRacingNeverExceedTheCapAndTheRolloutCompletes() throws Exception {
        int maxConcurrent = 4;
        List<String> agents = f.agents("lab", 60, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(30),
                RolloutsFixture.percent(70)), 0, maxConcurrent, 100, 100), Map.of());
        Set<String> done = ConcurrentHashMap.newKeySet();
        AtomicInteger highest = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    while (done.size() < agents.size() && System.nanoTime() < deadline) {
                        String a = agents.get(ThreadLocalRandom.current().nextInt(agents.size()));
                        if (done.contains(a)) {
                            continue;
                        }
                        String run = "run-" + a + "-" + ThreadLocalRandom.current().nextInt(3);
                        GateDecision d = f.checkIn(a, run);
                        if (d.kind() != GateDecision.Kind.OFFER) {
                            continue;
                        }
                        int now = f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE STATE = 'in_progress'");
                        highest.accumulateAndGet(now, Math::max);
                        f.report(a, run, "succeeded", "1.1.0", null);
                        if (f.count("SELECT COUNT(*) FROM PM_AGENT WHERE ID = '" + a + "' AND CURRENT_VERSION = '1.1.0'") == 1) {
                            done.add(a);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS); // a deadlock or any SQL error fails here
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(agents.size(), done.size(), "every agent updated");
        assertTrue(highest.get() <= maxConcurrent, "never more than the cap in progress: " + highest.get());
        assertTrue(highest.get() >= 2, "the test really ran agents side by side: " + highest.get());
        Rollout after = f.rollout(r.id());
        assertEquals(Rollout.COMPLETED, after.state());
        assertEquals(0, after.inProgress());
        assertEquals(60, ((Map<String, Object>) f.view(r.id()).get("counts")).get("succeeded"));
    }

    @Test
    void aRollbackRacedByManyCheckInsKeepsTheCapAndTheWaveOrder() throws Exception {
        int maxConcurrent = 4;
        List<String> agents = f.agents("lab", 40, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(30),
                RolloutsFixture.percent(70)), 0, maxConcurrent, 100, 100), Map.of());
        for (int round = 0; round < 40 && !Rollout.COMPLETED.equals(f.rollout(r.id()).state()); round++) {
            for (String a : agents) {
                String run = "fwd-" + a + "-" + round;
                if (f.checkIn(a, run).kind() == GateDecision.Kind.OFFER) {
                    f.report(a, run, "succeeded", "1.1.0", null);
                }
            }
        }
        assertEquals(Rollout.COMPLETED, f.rollout(r.id()).state());
        int wave0 = f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE WAVE = 0");
        f.actions.act(f.rollout(r.id()), "rollback", "alice");
        Set<String> back = ConcurrentHashMap.newKeySet();
        AtomicInteger highest = new AtomicInteger();
        List<String> outOfOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    while (back.size() < agents.size() && System.nanoTime() < deadline) {
                        String a = agents.get(ThreadLocalRandom.current().nextInt(agents.size()));
                        if (back.contains(a)) {
                            continue;
                        }
                        String run = "back-" + a + "-" + ThreadLocalRandom.current().nextInt(3);
                        if (f.checkIn(a, run).kind() != GateDecision.Kind.ROLLBACK) {
                            continue;
                        }
                        highest.accumulateAndGet(f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE STATE = 'reverting'"),
                                Math::max);
                        boolean laterWave = f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE AGENT_ID = '" + a
                                + "' AND WAVE = 1") == 1;
                        if (laterWave && f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE WAVE = 0"
                                + " AND STATE = 'reverted'") < wave0) {
                            outOfOrder.add(a);
                        }
                        f.report(a, run, "succeeded", "1.0.0", null);
                        if (f.count("SELECT COUNT(*) FROM PM_AGENT WHERE ID = '" + a + "' AND CURRENT_VERSION = '1.0.0'") == 1) {
                            back.add(a);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(agents.size(), back.size(), "every agent went back");
        assertTrue(highest.get() <= maxConcurrent, "never more than the cap reverting: " + highest.get());
        assertTrue(highest.get() >= 2, "the test really ran agents side by side: " + highest.get());
        assertEquals(List.of(), outOfOrder, "wave 1 went back only after all of wave 0");
        assertEquals(Rollout.ROLLED_BACK, f.rollout(r.id()).state());
        assertEquals(0, f.rollout(r.id()).inProgress());
    }

    @Test
    void checkInsRacingToCreateTheAutomaticRolloutMakeExactlyOne() throws Exception {
        List<String> agents = f.agents("lab", 16, "1.0.0");
        f.release("1.0.1");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        Set<String> rollouts = ConcurrentHashMap.newKeySet();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (String a : agents) {
                all.add(pool.submit(() -> {
                    GateDecision d = f.checkIn(a, "run-" + a);
                    if (d.rolloutId() != null) {
                        rollouts.add(d.rolloutId());
                    }
                    return null;
                }));
            }
            for (Future<?> x : all) {
                x.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, rollouts.size(), "every agent was offered or held by the same rollout: " + rollouts);
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_ROLLOUT"));
        assertEquals(10, f.rollout(rollouts.iterator().next()).inProgress(), "max_concurrent of the policy");
    }
}
