package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The per-replica registry of agents' long polls: who is woken by which event, one wait per agent, the cap, and the
 * replay of what an agent missed while it reconnected. Waking runs on the caller's thread here (a direct executor)
 * so every outcome is visible when publish returns.
 */
class WaiterRegistryTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final WaiterRegistry registry = new WaiterRegistry(3, 60_000, 1_000, now::get, Runnable::run);

    /** What one wait received. */
    private static final class Seen {
        final List<WaiterRegistry.Answer> answers = new ArrayList<>();

        void accept(WaiterRegistry.Answer a) {
            answers.add(a);
        }

        WaiterRegistry.Answer only() {
            assertEquals(1, answers.size(), "answered once: " + answers);
            return answers.get(0);
        }
    }

    private Seen waitFor(String agent, String fleet, WaitCursor since) {
        Seen seen = new Seen();
        assertNotNull(registry.wait(agent, fleet, since, seen::accept));
        return seen;
    }

    @Test
    void aCommandWakesOnlyItsAgent() {
        Seen a = waitFor("agt_a", "lab", null);
        Seen b = waitFor("agt_b", "lab", null);
        registry.publish(7, WaiterRegistry.Scope.AGENT, "agt_a", Map.of("type", "command", "command_id", "cmd_1"));
        assertEquals(List.of(Map.of("type", "command", "command_id", "cmd_1")), a.only().events());
        assertEquals(7, a.only().cursor().seq());
        assertTrue(b.answers.isEmpty(), "another agent sleeps on");
        assertEquals(1, registry.waiting());
    }

    @Test
    void aFleetEventWakesThatFleetAndAServerWideOneEveryone() {
        Seen lab1 = waitFor("agt_1", "lab", null);
        Seen lab2 = waitFor("agt_2", "lab", null);
        Seen shop = waitFor("agt_3", "shop", null);
        registry.publish(1, WaiterRegistry.Scope.FLEET, "lab", Map.of("type", "abort"));
        assertEquals("abort", lab1.only().events().get(0).get("type"));
        assertEquals("abort", lab2.only().events().get(0).get("type"));
        assertTrue(shop.answers.isEmpty());
        Seen lab1Again = waitFor("agt_1", "lab", lab1.only().cursor());
        registry.publish(2, WaiterRegistry.Scope.ALL, null, Map.of("type", "policy"));
        assertEquals("policy", shop.only().events().get(0).get("type"));
        assertEquals("policy", lab1Again.only().events().get(0).get("type"));
        assertEquals(0, registry.waiting());
    }

    @Test
    void aSecondWaitOfTheSameAgentEndsTheFirstWithoutEventsAndTakesItsPlace() {
        Seen first = waitFor("agt_a", "lab", null);
        Seen second = waitFor("agt_a", "lab", null);
        assertEquals(List.of(), first.only().events(), "the first wait ends with no events (204)");
        assertEquals(1, registry.waiting(), "one place per agent");
        registry.publish(3, WaiterRegistry.Scope.FLEET, "lab", Map.of("type", "policy"));
        assertEquals(1, first.answers.size(), "the replaced wait is not answered twice");
        assertEquals("policy", second.only().events().get(0).get("type"));
    }

    @Test
    void beyondTheCapAWaitIsRefusedUntilAPlaceIsFree() {
        waitFor("agt_1", "lab", null);
        waitFor("agt_2", "lab", null);
        WaiterRegistry.Waiter third = registry.wait("agt_3", "lab", null, a -> { });
        assertNull(registry.wait("agt_4", "lab", null, a -> { }), "the fourth agent is refused");
        assertTrue(registry.isFull("agt_4"));
        assertNotNull(registry.wait("agt_3", "lab", null, a -> { }), "an agent that holds a place may replace its wait");
        registry.cancel(third);
        assertEquals(3, registry.waiting(), "cancelling a replaced wait frees nothing");
        registry.publish(4, WaiterRegistry.Scope.AGENT, "agt_1", Map.of("type", "command"));
        assertNotNull(registry.wait("agt_4", "lab", null, a -> { }), "a place is free once a wait is answered");
    }

    @Test
    void aTimedOutOrAbandonedWaitLeavesAndIsAnsweredWithoutEvents() {
        Seen seen = new Seen();
        WaiterRegistry.Waiter w = registry.wait("agt_a", "lab", null, seen::accept);
        registry.cancel(w);
        registry.cancel(w);
        assertEquals(List.of(), seen.only().events());
        assertEquals(0, registry.waiting());
        registry.publish(5, WaiterRegistry.Scope.AGENT, "agt_a", Map.of("type", "command"));
        assertEquals(1, seen.answers.size(), "an ended wait hears nothing more");
    }

    @Test
    void aReconnectingAgentGetsWhatWasPublishedAfterItsCursorAndNothingElse() {
        Seen first = waitFor("agt_a", "lab", null);
        registry.publish(10, WaiterRegistry.Scope.AGENT, "agt_a", Map.of("type", "command", "command_id", "cmd_1"));
        WaitCursor cursor = first.only().cursor();
        now.addAndGet(5);
        // while the agent reconnects: a command for it, one for another agent, an event of another fleet
        registry.publish(11, WaiterRegistry.Scope.AGENT, "agt_a", Map.of("type", "command", "command_id", "cmd_2"));
        registry.publish(12, WaiterRegistry.Scope.AGENT, "agt_b", Map.of("type", "command", "command_id", "cmd_3"));
        registry.publish(13, WaiterRegistry.Scope.FLEET, "shop", Map.of("type", "abort"));
        Seen second = waitFor("agt_a", "lab", cursor);
        assertEquals(List.of(Map.of("type", "command", "command_id", "cmd_2")), second.only().events(),
                "answered at once with what it missed");
        assertEquals(0, registry.waiting());
        // nothing new after the second answer's cursor: the third wait waits
        now.addAndGet(5);
        Seen third = waitFor("agt_a", "lab", second.only().cursor());
        assertTrue(third.answers.isEmpty(), "nothing replayed twice: " + third.answers);
    }

    @Test
    void aLateCommittingSignalWithALowerNumberIsStillReplayed() {
        WaitCursor cursor = new WaitCursor(20, now.get());
        now.addAndGet(1);
        registry.publish(15, WaiterRegistry.Scope.AGENT, "agt_a", Map.of("type", "command", "command_id", "late"));
        Seen seen = waitFor("agt_a", "lab", cursor);
        assertEquals("late", seen.only().events().get(0).get("command_id"));
    }

    @Test
    void eventsOlderThanTheReplayWindowAreForgotten() {
        WaitCursor cursor = registry.cursorNow();
        registry.publish(30, WaiterRegistry.Scope.FLEET, "lab", Map.of("type", "policy"));
        now.addAndGet(60_001);
        Seen seen = waitFor("agt_a", "lab", cursor);
        assertTrue(seen.answers.isEmpty(), "a gap longer than the window is covered by the agent's check-in");
    }

    @Test
    void manyWaitersOfOneFleetAreWokenWithoutTouchingOtherFleets() {
        WaiterRegistry big = new WaiterRegistry(30_000, 60_000, 1_000, now::get, Runnable::run);
        List<Seen> lab = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Seen s = new Seen();
            big.wait("agt_lab_" + i, "lab", null, s::accept);
            lab.add(s);
            big.wait("agt_shop_" + i, "shop", null, a -> { throw new AssertionError("shop woken"); });
        }
        long start = System.nanoTime();
        big.publish(1, WaiterRegistry.Scope.FLEET, "lab", Map.of("type", "abort"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(lab.stream().allMatch(s -> s.answers.size() == 1));
        assertEquals(10_000, big.waiting(), "the other fleet still waits");
        assertTrue(millis < 2_000, "waking 10,000 took " + millis + " ms");
    }

    @Test
    void aCursorIsOpaqueAndABadOneNamesTheField() throws Exception {
        WaitCursor c = new WaitCursor(42, 1_700_000_000_000L);
        assertEquals(c, WaitCursor.decode(c.encode()));
        assertNull(WaitCursor.decode(""));
        for (String bad : List.of("nope!", "MS4y", "Mi40Mi4x", "x".repeat(200))) {
            ApiException e = assertThrows(ApiException.class, () -> WaitCursor.decode(bad), bad);
            assertEquals(400, e.status());
            assertEquals("cursor", e.field());
        }
    }
}
