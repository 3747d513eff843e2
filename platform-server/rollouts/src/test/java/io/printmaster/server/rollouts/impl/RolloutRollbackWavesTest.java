package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.agents.api.GateDecision;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollback of a rollout goes wave by wave in the rollout's own order: a wave's agents are offered their previous
 * version only once its rollback opened (the previous wave's rollback reached the success threshold and the delay
 * passed), never more than {@code max_concurrent} at once, and waves with nobody to take back hold nothing up.
 */
class RolloutRollbackWavesTest {
    private static final String FROM = "1.0.0";
    private static final String TO = "1.1.0";

    @TempDir
    Path dir;
    RolloutsFixture f;
    /** The last run each agent was offered, to report its end. */
    final Map<String, String> runs = new HashMap<>();

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release(FROM);
        f.release(TO);
        // the fleet's policy would not move anyone (minor pin): only the admin's rollout offers 1.1.0
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void aRollbackRevertsWaveByWaveAfterThresholdAndDelayUnderTheCap() throws Exception {
        List<String> agents = f.agents("lab", 10, FROM);
        Rollout r = f.adminRollout(TO, List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(20),
                RolloutsFixture.percent(30), RolloutsFixture.percent(50)), 600, 2, 100, 100), Map.of());
        driveForward(r.id(), agents);
        Map<Integer, List<String>> byWave = byWave(r.id());
        assertEquals(List.of(2, 3, 5), byWave.values().stream().map(List::size).toList(), "waves " + byWave);
        List<String> wave0 = byWave.get(0);
        List<String> wave1 = byWave.get(1);
        List<String> wave2 = byWave.get(2);

        Rollout rolling = f.actions.act(f.rollout(r.id()), "rollback", "alice");
        assertEquals(Rollout.ROLLING_BACK, rolling.state());
        assertEquals(List.of("open", "pending", "pending"), rollbackStates(r.id()));

        GateDecision early = f.checkIn(wave1.get(0), f.run());
        assertEquals(GateDecision.Kind.HOLD, early.kind(), "wave 1 goes back only after wave 0");
        assertTrue(early.retryAfterSeconds() >= 1, "told when to come back");
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave2.get(0), f.run()).kind());

        for (String a : wave0) {
            GateDecision d = offerRollback(a);
            assertEquals(FROM, d.version());
            assertEquals(r.id(), d.rolloutId());
        }
        revert(wave0.get(0));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave1.get(0), f.run()).kind(), "1 of 2 back: below 100 %");
        revert(wave0.get(1));
        assertEquals(List.of("done", "pending", "pending"), rollbackStates(r.id()));
        GateDecision waiting = f.checkIn(wave1.get(0), f.run());
        assertEquals(GateDecision.Kind.HOLD, waiting.kind(), "threshold reached, the delay still runs");
        assertTrue(waiting.retryAfterSeconds() > 500 && waiting.retryAfterSeconds() <= 600,
                "the delay left: " + waiting.retryAfterSeconds());
        f.clock.advance(Duration.ofSeconds(599));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave1.get(0), f.run()).kind());
        f.clock.advance(Duration.ofSeconds(1));

        // wave 1 opens; two slots for three agents
        offerRollback(wave1.get(0));
        offerRollback(wave1.get(1));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave1.get(2), f.run()).kind(), "no third slot");
        assertEquals(2, f.rollout(r.id()).inProgress());
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave2.get(0), f.run()).kind(), "wave 2 still waits");
        revert(wave1.get(0));
        revert(wave1.get(1));
        offerRollback(wave1.get(2));
        f.clock.advance(Duration.ofSeconds(3600));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(wave2.get(0), f.run()).kind(),
                "2 of 3 back is below the threshold, however long it takes");
        revert(wave1.get(2));
        f.clock.advance(Duration.ofSeconds(600));

        // wave 2: five agents ask at every round, at most two revert at once
        int rounds = 0;
        while (!Rollout.ROLLED_BACK.equals(f.rollout(r.id()).state())) {
            assertTrue(++rounds < 10, "rolled back within a few rounds");
            List<String> taking = new ArrayList<>();
            for (String a : wave2) {
                if (TO.equals(f.directory.agent(a).orElseThrow().currentVersion())) {
                    String run = f.run();
                    GateDecision d = f.checkIn(a, run);
                    if (d.kind() == GateDecision.Kind.ROLLBACK) {
                        runs.put(a, run);
                        taking.add(a);
                    }
                    assertTrue(f.rollout(r.id()).inProgress() <= 2, "cap held");
                }
            }
            assertTrue(!taking.isEmpty() && taking.size() <= 2, "round " + rounds + ": " + taking);
            for (String a : taking) {
                revert(a);
            }
        }
        for (String a : agents) {
            assertEquals(FROM, f.directory.agent(a).orElseThrow().currentVersion(), a);
        }
        List<Map<String, Object>> waves = waves(r.id());
        assertEquals(List.of("done", "done", "done"), rollbackStates(r.id()));
        assertEquals(List.of(2, 3, 5), waves.stream().map(w -> w.get("reverted")).toList());
        assertEquals(List.of(2, 3, 5), waves.stream().map(w -> w.get("rollback_needed")).toList());
        Instant wave0Back = Instant.parse((String) waves.get(0).get("rollback_reached_at"));
        Instant wave1Open = Instant.parse((String) waves.get(1).get("rollback_opened_at"));
        assertEquals(wave0Back.plusSeconds(600), wave1Open, "wave 1's rollback opened when the delay ended");
        assertEquals(1, f.count("SELECT COUNT(*) FROM AUDIT_LOG WHERE ACTION = 'rollout.rolled_back'"));
        assertEquals(3, f.count("SELECT COUNT(*) FROM AUDIT_LOG WHERE ACTION = 'rollout.rollback_wave_opened'"));
    }

    @Test
    void wavesWithNobodyToTakeBackAreSkipped() throws Exception {
        List<String> agents = f.agents("lab", 6, FROM);
        Plan.Wave two = new Plan.Wave(null, 2);
        Rollout r = f.adminRollout(TO, List.of("lab"), RolloutsFixture.plan(List.of(two, two, two), 300, 10, 100, 100),
                Map.of());
        driveForward(r.id(), agents);
        Map<Integer, List<String>> byWave = byWave(r.id());
        // both agents of wave 1 fail their trial after the rollout completed: nobody of wave 1 is on 1.1.0
        for (String a : byWave.get(1)) {
            f.report(a, runs.get(a), "rolled_back", FROM, "HEALTH_CHECK");
        }
        f.actions.act(f.rollout(r.id()), "rollback", "alice");
        String last = byWave.get(2).get(0);
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(last, f.run()).kind());
        for (String a : byWave.get(0)) {
            offerRollback(a);
            revert(a);
        }
        f.clock.advance(Duration.ofSeconds(299));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(last, f.run()).kind(), "one delay after wave 0");
        f.clock.advance(Duration.ofSeconds(1));
        offerRollback(last);
        List<Map<String, Object>> waves = waves(r.id());
        assertEquals(0, waves.get(1).get("to_revert"));
        assertEquals(waves.get(1).get("rollback_opened_at"), waves.get(2).get("rollback_opened_at"),
                "wave 2 opened with the empty wave 1, no second delay");
    }

    @Test
    void beforeAnyRollbackTheWavesCarryNoRollbackStateAndAPauseNamesTheWaveAsTheConsoleDoes() throws Exception {
        List<String> agents = f.agents("lab", 4, FROM);
        Plan plan = new Plan(new Plan.Canary(List.of(agents.get(0)), null), List.of(RolloutsFixture.percent(100)), 0,
                10, 0, 100, 30);
        Rollout r = f.adminRollout(TO, List.of("lab"), plan, Map.of(agents.get(0), "lab"));
        String canaryRun = f.run();
        f.checkIn(agents.get(0), canaryRun);
        f.report(agents.get(0), canaryRun, "succeeded", TO, null);
        String failing = agents.get(1);
        String run = f.run();
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(failing, run).kind());
        f.report(failing, run, "failed", FROM, "APPLY_FAILED");
        Rollout paused = f.rollout(r.id());
        assertEquals(Rollout.PAUSED, paused.state());
        // the console labels the waves "Canary", "Wave 1", …: the plan's first wave after a canary is "wave 1"
        assertTrue(paused.pausedReason().startsWith("wave 1: 1 of 3 agents failed"), paused.pausedReason());
        for (Map<String, Object> w : waves(r.id())) {
            assertNull(w.get("rollback_state"), w.toString());
            assertNull(w.get("reverted"), w.toString());
        }
    }

    @Test
    void failedRevertsHoldTheNextWaveUntilARollbackStartedAgainTakesThemBack() throws Exception {
        List<String> agents = f.agents("lab", 4, FROM);
        Plan.Wave two = new Plan.Wave(null, 2);
        Rollout r = f.adminRollout(TO, List.of("lab"), RolloutsFixture.plan(List.of(two, two), 0, 10, 100, 100),
                Map.of());
        driveForward(r.id(), agents);
        Map<Integer, List<String>> byWave = byWave(r.id());
        f.actions.act(f.rollout(r.id()), "rollback", "alice");
        String stuck = byWave.get(0).get(0);
        offerRollback(stuck);
        f.report(stuck, runs.get(stuck), "failed", TO, "STAGING_FAILED");
        offerRollback(byWave.get(0).get(1));
        revert(byWave.get(0).get(1));
        f.clock.advance(Duration.ofHours(1));
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(byWave.get(1).get(0), f.run()).kind(), "1 of 2 back");
        assertEquals(GateDecision.Kind.NONE, f.checkIn(stuck, f.run()).kind(), "its rollback failed");
        f.actions.act(f.rollout(r.id()), "abort", "alice");
        Rollout again = f.actions.act(f.rollout(r.id()), "rollback", "alice");
        assertEquals(Rollout.ROLLING_BACK, again.state());
        assertEquals(List.of("open", "pending"), rollbackStates(r.id()), "goes on where it stopped");
        offerRollback(stuck);
        revert(stuck);
        offerRollback(byWave.get(1).get(0));
    }

    /** Every agent asks with a run until the rollout completed; offers succeed at once; the clock follows delays. */
    private void driveForward(String id, List<String> agents) throws SQLException {
        for (int round = 0; round < 20 && !Rollout.COMPLETED.equals(f.rollout(id).state()); round++) {
            boolean offered = false;
            for (String a : agents) {
                if (FROM.equals(f.directory.agent(a).orElseThrow().currentVersion())) {
                    String run = f.run();
                    if (f.checkIn(a, run).kind() == GateDecision.Kind.OFFER) {
                        runs.put(a, run);
                        f.report(a, run, "succeeded", TO, null);
                        offered = true;
                    }
                }
            }
            if (!offered) {
                f.clock.advance(Duration.ofSeconds(f.rollout(id).plan().delayBetweenWavesSeconds()));
            }
        }
        assertEquals(Rollout.COMPLETED, f.rollout(id).state());
    }

    private GateDecision offerRollback(String agent) throws SQLException {
        String run = f.run();
        GateDecision d = f.checkIn(agent, run);
        assertEquals(GateDecision.Kind.ROLLBACK, d.kind(), agent + ": " + d);
        runs.put(agent, run);
        return d;
    }

    /** The agent's rollback run ends: it runs its previous version again. */
    private void revert(String agent) throws SQLException {
        f.report(agent, runs.get(agent), "succeeded", FROM, null);
    }

    private Map<Integer, List<String>> byWave(String id) throws SQLException {
        return f.db.read(c -> {
            Map<Integer, List<String>> out = new TreeMap<>();
            try (var ps = c.prepareStatement("SELECT WAVE, AGENT_ID FROM PM_ROLLOUT_AGENT WHERE ROLLOUT_ID = ?"
                    + " ORDER BY WAVE, AGENT_ID")) {
                ps.setString(1, id);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.computeIfAbsent(rs.getInt(1), k -> new ArrayList<>()).add(rs.getString(2));
                    }
                }
            }
            return out;
        });
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> waves(String id) throws SQLException {
        return (List<Map<String, Object>>) f.view(id).get("waves");
    }

    private List<Object> rollbackStates(String id) throws SQLException {
        return waves(id).stream().map(w -> w.get("rollback_state")).toList();
    }
}
