package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.store.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Check-ins without consequences written behind ({@link CheckInWriteBehind}) on a real Derby, and the caches that
 * signals drop ({@link CheckInCaches}): a flush writes the newest facts, a full buffer writes at once, a crash loses
 * only what was not flushed, a revocation and a queued command reach the caches when they commit.
 */
class CheckInWriteBehindTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    @TempDir
    static Path dir;
    private static AgentsFixture f;

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
    }

    @AfterAll
    static void close() {
        f.close();
    }

    private static AgentRecord newAgent() throws Exception {
        String fleet = f.fleet("wb-" + NAMES.incrementAndGet());
        return f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(), AgentsFixture.facts("h-" + fleet))
                .orElseThrow().agent();
    }

    private static CheckInWriteBehind.Seen seen(AgentRecord a, String host, Instant at) {
        return new CheckInWriteBehind.Seen(a.id(), at, new AgentStore.AgentFacts(host, "linux", "amd64", "1.0.0"),
                at.plus(Duration.ofHours(1)), at.plus(Duration.ofDays(2)));
    }

    @Test
    void aFlushWritesTheNewestCheckInOfEachAgentInOneGo() throws Exception {
        CheckInWriteBehind wb = new CheckInWriteBehind(f.db, 100, 0);
        AgentRecord a = newAgent();
        AgentRecord b = newAgent();
        Instant t = Instant.parse("2026-11-26T13:00:00Z");
        assertTrue(wb.record(seen(a, "a-first", t)));
        assertTrue(wb.record(seen(a, "a-second", t.plusSeconds(1))));
        assertTrue(wb.record(seen(b, "b", t)));
        assertEquals(2, wb.buffered(), "one entry per agent: the newest");
        assertNull(f.agents.find(a.id()).orElseThrow().lastSeenAt(), "not written before the flush");
        wb.flush();
        assertEquals(0, wb.buffered());
        AgentRecord stored = f.agents.find(a.id()).orElseThrow();
        assertEquals(t.plusSeconds(1), stored.lastSeenAt());
        assertEquals("a-second", stored.hostname());
        assertEquals(t.plusSeconds(3601), stored.nextCheckAt());
        assertEquals(t, f.agents.find(b.id()).orElseThrow().lastSeenAt());
    }

    @Test
    void aFlushNeverMovesLastSeenBackNorTouchesARevokedAgent() throws Exception {
        CheckInWriteBehind wb = new CheckInWriteBehind(f.db, 100, 0);
        AgentRecord a = newAgent();
        // a check-in recorded in a transaction (it delivered a command) after the buffered one
        Instant buffered = f.clock.instant();
        wb.record(seen(a, "buffered", buffered));
        f.clock.advance(Duration.ofSeconds(5));
        f.agents.checkIn(a.id(), AgentsFixture.facts("transactional"), null, c -> null).orElseThrow();
        wb.flush();
        AgentRecord stored = f.agents.find(a.id()).orElseThrow();
        assertEquals("transactional", stored.hostname(), "the older buffered check-in does not overwrite it");
        assertEquals(buffered.plusSeconds(5), stored.lastSeenAt());

        AgentRecord revoked = newAgent();
        f.agents.revoke(revoked.id(), "admin");
        wb.record(seen(revoked, "after-revoke", f.clock.instant().plusSeconds(10)));
        wb.flush();
        assertNull(f.agents.find(revoked.id()).orElseThrow().lastSeenAt(), "a revoked agent is not written");
    }

    @Test
    void aFullBufferWritesAtOnceInsteadOfDropping() throws Exception {
        CheckInWriteBehind wb = new CheckInWriteBehind(f.db, 1, 0);
        AgentRecord a = newAgent();
        AgentRecord b = newAgent();
        Instant t = Instant.parse("2026-11-26T14:00:00Z");
        assertTrue(wb.record(seen(a, "a", t)), "buffered");
        assertTrue(wb.record(seen(a, "a-again", t.plusSeconds(1))), "the same agent replaces its entry");
        assertFalse(wb.record(seen(b, "b", t)), "the buffer is full: written synchronously");
        assertEquals(t, f.agents.find(b.id()).orElseThrow().lastSeenAt(), "visible at once");
        assertNull(f.agents.find(a.id()).orElseThrow().lastSeenAt(), "the buffered one waits for the flush");
        wb.close();
        assertEquals("a-again", f.agents.find(a.id()).orElseThrow().hostname(), "closing flushes");
    }

    @Test
    void aCrashLosesOnlyWhatWasNotFlushed() throws Exception {
        AgentRecord a = newAgent();
        Instant t = Instant.parse("2026-11-26T15:00:00Z");
        CheckInWriteBehind beforeCrash = new CheckInWriteBehind(f.db, 100, 0);
        beforeCrash.record(seen(a, "flushed", t));
        beforeCrash.flush();
        beforeCrash.record(seen(a, "lost", t.plusMillis(CheckInWriteBehind.FLUSH_MILLIS / 2)));
        // the process dies here: the buffer is gone without a close; a new process starts with an empty one
        CheckInWriteBehind afterCrash = new CheckInWriteBehind(f.db, 100, 0);
        afterCrash.flush();
        AgentRecord stored = f.agents.find(a.id()).orElseThrow();
        assertEquals("flushed", stored.hostname(), "what the last flush wrote survives");
        assertEquals(t, stored.lastSeenAt(), "the check-in within the window is lost: its next check-in records it");
    }

    @Test
    void theTimerFlushesWithinItsPeriod() throws Exception {
        AgentRecord a = newAgent();
        try (CheckInWriteBehind wb = new CheckInWriteBehind(f.db, 100, 50)) {
            Instant t = Instant.parse("2026-11-26T16:00:00Z");
            wb.record(seen(a, "timed", t));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (f.agents.find(a.id()).orElseThrow().lastSeenAt() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(t, f.agents.find(a.id()).orElseThrow().lastSeenAt());
        }
    }

    @Test
    void aRevocationDropsTheCachedAgentWhenItCommits() throws Exception {
        CheckInCaches caches = new CheckInCaches(f.db);
        // the signals as delivered on this replica: after the commit of the publishing transaction
        f.agents.signals = (c, topic, scope, payload) -> f.db.afterCommit(c,
                () -> caches.signalled(new Signal(1, topic, scope, payload, Instant.now())));
        try {
            AgentRecord a = newAgent();
            String hash = "hash-of-" + a.id();
            caches.credentials.get(hash, h -> f.agents.find(a.id()));
            caches.agents.get(a.id(), f.agents::find);
            assertTrue(caches.credentials.peek(hash).isPresent());
            f.agents.revoke(a.id(), "admin");
            assertNull(caches.credentials.peek(hash), "the credential is looked up again: refused at once");
            assertNull(caches.agents.peek(a.id()));
        } finally {
            f.agents.signals = null;
        }
    }

    @Test
    void aQueuedCommandIsKnownToTheNextCheckIn() throws Exception {
        CheckInCaches caches = new CheckInCaches(f.db);
        f.commands.caches = caches;
        try {
            AgentRecord a = newAgent();
            assertFalse(caches.mayHavePendingCommands(a.id()));
            f.commands.issue(a.id(), "check_update", "admin");
            assertTrue(caches.mayHavePendingCommands(a.id()), "dropped when the command committed");
            f.agents.checkIn(a.id(), AgentsFixture.facts("h"), null, c -> null).orElseThrow();
            caches.pendingCommands.invalidate(a.id()); // as the check-in route does after its transaction
            assertFalse(caches.mayHavePendingCommands(a.id()), "delivered");
        } finally {
            f.commands.caches = null;
        }
    }

    @Test
    void aPolicySignalDropsOneFleetAndTheGlobalOneDropsAll() throws Exception {
        CheckInCaches caches = new CheckInCaches(null);
        CheckInCaches.Policy p = CheckInCaches.withEtag(new io.printmaster.server.fleets.api.EffectivePolicy("a",
                "fleet", UpdatePolicy.defaults(), null, null));
        caches.policies.get("a", k -> p);
        caches.policies.get("b", k -> p);
        caches.signalled(new Signal(1, CheckInCaches.FLEET_POLICY, "a", null, Instant.now()));
        assertNull(caches.policies.peek("a"));
        assertEquals(p, caches.policies.peek("b"));
        caches.signalled(new Signal(2, CheckInCaches.FLEET_POLICY, null, null, Instant.now()));
        assertNull(caches.policies.peek("b"), "the global policy: every fleet");
        assertTrue(CheckInAnswer.UNCHANGED_POLICY.equals("policy"));
    }
}
