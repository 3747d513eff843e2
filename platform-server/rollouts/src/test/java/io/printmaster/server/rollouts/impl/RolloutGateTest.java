package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.agents.api.GateDecision;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Automatic rollouts through the gate: slots, completion, approval, supersede, withdrawn versions, plain check-ins. */
class RolloutGateTest {
    @TempDir
    Path dir;
    RolloutsFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release("1.0.0");
        f.release("1.0.1");
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void aPolicyRolloutOffersOnlyAsManyAsMaxConcurrentAndCompletesWhenAllSucceeded() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), false), Instant.EPOCH);
        List<String> agents = f.agents("lab", 5, "1.0.0");
        List<String> runs = new ArrayList<>();
        List<GateDecision> decisions = new ArrayList<>();
        for (String a : agents) {
            String run = f.run();
            runs.add(run);
            decisions.add(f.checkIn(a, run));
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(GateDecision.Kind.OFFER, decisions.get(i).kind(), "agent " + i);
            assertEquals("1.0.1", decisions.get(i).version());
        }
        String rolloutId = decisions.get(0).rolloutId();
        assertTrue(rolloutId.startsWith("rol_"));
        for (int i = 3; i < 5; i++) {
            assertEquals(GateDecision.Kind.HOLD, decisions.get(i).kind(), "agent " + i + " waits for a slot");
            assertTrue(decisions.get(i).retryAfterSeconds() >= 60, "held for hold_retry_seconds");
        }
        assertEquals(3, f.rollout(rolloutId).inProgress());
        // asking again with the same run keeps the slot, no second one
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(0), runs.get(0)).kind());
        assertEquals(3, f.rollout(rolloutId).inProgress());

        f.report(agents.get(0), runs.get(0), "succeeded", "1.0.1", null);
        assertEquals(2, f.rollout(rolloutId).inProgress(), "a terminal status frees the slot");
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(3), runs.get(3)).kind());
        for (int i = 1; i < 4; i++) {
            f.report(agents.get(i), runs.get(i), "succeeded", "1.0.1", null);
        }
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(4), runs.get(4)).kind());
        assertEquals(Rollout.RUNNING, f.rollout(rolloutId).state(), "one agent still updating");
        f.report(agents.get(4), runs.get(4), "succeeded", "1.0.1", null);
        assertEquals(Rollout.COMPLETED, f.rollout(rolloutId).state());
        Map<String, Object> counts = (Map<String, Object>) f.view(rolloutId).get("counts");
        assertEquals(5, counts.get("succeeded"));
        assertEquals(0, counts.get("pending"));

        // completed: a late agent simply takes the version, outside any rollout
        String late = f.agent("late", "lab", "1.0.0");
        GateDecision free = f.checkIn(late, f.run());
        assertEquals(GateDecision.Kind.OFFER, free.kind());
        assertNull(free.rolloutId());
    }

    /**
     * "Update now" on an agent whose run failed and paused the rollout: its forced run is offered the release and
     * takes a slot although the rollout is paused; others stay held; a forced run does not pass an approval.
     */
    @Test
    void aForcedRunPassesAPauseAndItsWaveButNotTheSlotCapOrAnApproval() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 1, 50, 0, 0), false), Instant.EPOCH);
        List<String> agents = f.agents("lab", 2, "1.0.0");
        String run = f.run();
        GateDecision first = f.checkIn(agents.get(0), run);
        assertEquals(GateDecision.Kind.OFFER, first.kind());
        f.report(agents.get(0), run, "rolled_back", null, "APPLY_FAILED");
        Rollout paused = f.rollout(first.rolloutId());
        assertEquals(Rollout.PAUSED, paused.state(), "one of two failed: above the 10 % failure threshold");

        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(0), f.run()).kind(), "its own run ended: nothing");
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(1), f.run()).kind(), "paused: held");
        String forcedRun = f.run();
        GateDecision forced = f.checkIn(agents.get(0), forcedRun, true);
        assertEquals(GateDecision.Kind.OFFER, forced.kind(), "Update now passes the pause");
        assertEquals(1, f.rollout(first.rolloutId()).inProgress());
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(1), f.run(), true).kind(),
                "a second forced run waits for the only slot (max_concurrent 1)");
        f.report(agents.get(0), forcedRun, "succeeded", "1.0.1", null);
        assertEquals(0, f.rollout(first.rolloutId()).inProgress());
        Map<String, Object> counts = (Map<String, Object>) f.view(first.rolloutId()).get("counts");
        assertEquals(1, counts.get("succeeded"));
        assertEquals(0, counts.get("rolled_back"), "the retried agent counts once, as it ended now");
        assertEquals(Rollout.PAUSED, f.rollout(first.rolloutId()).state(), "still paused for everyone else");

        f.fleets.set("desk", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), true), Instant.EPOCH);
        String waiting = f.agents("desk", 1, "1.0.0").get(0);
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(waiting, f.run(), true).kind(),
                "awaiting approval: Update now does not approve");
    }

    @Test
    void aCheckInWithoutARunTakesNoSlotAndIsToldToComeBackWithItsRun() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 30), false), Instant.EPOCH);
        String a = f.agents("lab", 1, "1.0.0").get(0);
        GateDecision plain = f.checkIn(a, null);
        assertEquals(GateDecision.Kind.HOLD, plain.kind());
        assertTrue(plain.retryAfterSeconds() >= 1 && plain.retryAfterSeconds() <= 30, "within the jitter");
        assertEquals(0, f.rollout(plain.rolloutId()).inProgress());
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(a, f.run()).kind());
    }

    @Test
    void requireApprovalHoldsEveryoneUntilAnAdminApproves() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), true), Instant.EPOCH);
        String a = f.agents("lab", 1, "1.0.0").get(0);
        GateDecision held = f.checkIn(a, f.run());
        assertEquals(GateDecision.Kind.HOLD, held.kind());
        Rollout r = f.rollout(held.rolloutId());
        assertEquals(Rollout.AWAITING_APPROVAL, r.state());
        assertEquals(Rollout.POLICY, r.origin());
        Rollout approved = f.actions.act(r, "approve", "alice");
        assertEquals(Rollout.RUNNING, approved.state());
        assertEquals("alice", approved.approvedBy());
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(a, f.run()).kind());
        assertEquals(1, f.audit.list(io.printmaster.store.AuditLog.Query.latest(50)).stream()
                .filter(e -> e.action().equals("rollout.approve") && e.actor().equals("alice")
                        && e.target().equals("rollout:" + r.id()) && "lab".equals(e.fleet())).count());
    }

    @Test
    void theSweepCreatesTheApprovalRequestWithoutAgentTraffic() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), true), Instant.EPOCH);
        f.agents("lab", 4, "1.0.0");
        f.sweeper.sweep();
        List<Rollout> all = f.store.page(null, null, Long.MAX_VALUE, 10);
        assertEquals(1, all.size());
        assertEquals(Rollout.AWAITING_APPROVAL, all.get(0).state());
        assertEquals(4, all.get(0).targeted());
        f.sweeper.sweep();
        assertEquals(1, f.store.page(null, null, Long.MAX_VALUE, 10).size(), "created once");
    }

    @Test
    void aHigherReleaseSupersedesTheAutomaticRolloutAndAnAbortedVersionIsWithdrawn() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), false), Instant.EPOCH);
        List<String> agents = f.agents("lab", 2, "1.0.0");
        String first = f.checkIn(agents.get(0), f.run()).rolloutId();
        f.release("1.0.2");
        GateDecision next = f.checkIn(agents.get(1), f.run());
        assertEquals("1.0.2", next.version());
        Rollout old = f.rollout(first);
        assertEquals(Rollout.ABORTED, old.state());
        assertEquals("superseded by " + next.rolloutId() + " (1.0.2)", old.endReason());

        f.actions.act(f.rollout(next.rolloutId()), "abort", "alice");
        GateDecision after = f.checkIn(agents.get(1), f.run());
        assertEquals(GateDecision.Kind.NONE, after.kind(), "1.0.2 was aborted in this fleet: withdrawn");
        f.sweeper.sweep();
        assertEquals(2, f.store.page(null, null, Long.MAX_VALUE, 10).size(), "not created again");
    }

    @Test
    void aPolicyChangeSupersedesWithAnyOtherVersion() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 3, 50, 0, 0), false), Instant.EPOCH);
        f.release("1.0.2");
        String a = f.agents("lab", 1, "1.0.0").get(0);
        String first = f.checkIn(a, null).rolloutId();
        assertEquals("1.0.2", f.rollout(first).version());
        var pinned = new io.printmaster.core.policy.UpdatePolicy(7, "minor", false, "1.0.1", true,
                io.printmaster.core.policy.MaintenanceWindowSettings.defaults(),
                RolloutsFixture.control(false, 3, 50, 0, 0), false);
        f.fleets.set("lab", pinned, Instant.EPOCH.plusSeconds(1));
        GateDecision d = f.checkIn(a, f.run());
        assertEquals("1.0.1", d.version());
        assertEquals(Rollout.ABORTED, f.rollout(first).state());
    }

    @Test
    void theSlotOfASilentAgentTimesOutAndCountsAsFailed() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 1, 50, 0, 0), false), Instant.EPOCH);
        List<String> agents = f.agents("lab", 30, "1.0.0");
        String rollout = f.checkIn(agents.get(0), f.run()).rolloutId();
        assertEquals(GateDecision.Kind.HOLD, f.checkIn(agents.get(1), f.run()).kind());
        f.clock.advance(Duration.ofSeconds(f.settings.slotTimeoutSeconds() + 1));
        f.sweeper.sweep();
        assertEquals(0, f.rollout(rollout).inProgress());
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_ROLLOUT_AGENT WHERE STATE = 'failed' AND ERROR_CODE = 'SLOT_TIMEOUT'"));
        assertEquals(GateDecision.Kind.OFFER, f.checkIn(agents.get(1), f.run()).kind());
    }

    @Test
    void aCheckInOnTheNewVersionEndsTheSlotAndALateFailureOfThatRunCorrectsIt() throws Exception {
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 1, 50, 0, 0), false), Instant.EPOCH);
        List<String> agents = f.agents("lab", 20, "1.0.0");
        String run = f.run();
        String rollout = f.checkIn(agents.get(0), run).rolloutId();
        // the trial of the new version checks in (telemetry may be off): the slot is free for the next agent
        f.update("UPDATE PM_AGENT SET CURRENT_VERSION = '1.0.1' WHERE ID = ?", agents.get(0));
        assertEquals(GateDecision.Kind.NONE, f.checkIn(agents.get(0), null).kind());
        assertEquals(0, f.rollout(rollout).inProgress());
        assertEquals(1, ((Map<String, Object>) f.view(rollout).get("counts")).get("succeeded"));
        // then the trial's health check fails and the agent goes back: the run's report corrects the count
        f.report(agents.get(0), run, "rolled_back", "1.0.0", "HEALTH_CHECK");
        Map<String, Object> counts = (Map<String, Object>) f.view(rollout).get("counts");
        assertEquals(0, counts.get("succeeded"));
        assertEquals(1, counts.get("rolled_back"));
    }
}
