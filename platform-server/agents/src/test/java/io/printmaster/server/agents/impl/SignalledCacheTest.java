package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SignalledCacheTest {

    @Test
    void aValueIsReadOnceThenServedUntilItsKeyIsInvalidated() throws Exception {
        SignalledCache<String, String> cache = new SignalledCache<>(10);
        AtomicInteger reads = new AtomicInteger();
        String[] stored = {"v1"};
        assertEquals("v1", cache.get("k", k -> { reads.incrementAndGet(); return stored[0]; }));
        stored[0] = "v2";
        assertEquals("v1", cache.get("k", k -> { reads.incrementAndGet(); return stored[0]; }), "served from memory");
        assertEquals(1, reads.get());
        cache.invalidate("k"); // the signal of the change
        assertEquals("v2", cache.get("k", k -> { reads.incrementAndGet(); return stored[0]; }));
        assertEquals(2, reads.get());
    }

    @Test
    void aFillRacedByAChangeIsNotKept() throws Exception {
        SignalledCache<String, String> cache = new SignalledCache<>(10);
        String[] stored = {"old"};
        // the fill reads "old"; the change commits and its signal arrives before the fill stores its value
        String first = cache.get("k", k -> {
            String read = stored[0];
            stored[0] = "new";
            cache.invalidate("k");
            return read;
        });
        assertEquals("old", first, "the racing request itself answers with what it read");
        assertNull(cache.peek("k"), "but the stale value is not kept");
        assertEquals("new", cache.get("k", k -> stored[0]), "the next request reads the change");
    }

    @Test
    void anInvalidationOfAnotherKeyDuringAFillAlsoDiscardsIt() throws Exception {
        // conservative: any signal during a fill discards it, whatever key it names
        SignalledCache<String, String> cache = new SignalledCache<>(10);
        cache.get("a", k -> {
            cache.invalidate("b");
            return "x";
        });
        assertNull(cache.peek("a"));
    }

    @Test
    void theCacheStaysWithinItsBound() throws Exception {
        SignalledCache<Integer, Integer> cache = new SignalledCache<>(100);
        for (int i = 0; i < 1_000; i++) {
            assertEquals(i, cache.get(i, k -> k));
        }
        assertTrue(cache.size() <= 100, "bounded: " + cache.size());
    }

    @Test
    void invalidateIfDropsMatchingValuesAndAllDropsEverything() throws Exception {
        SignalledCache<String, String> cache = new SignalledCache<>(10);
        cache.get("hash1", k -> "agent-1");
        cache.get("hash2", k -> "agent-2");
        cache.invalidateIf("agent-1"::equals);
        assertNull(cache.peek("hash1"));
        assertEquals("agent-2", cache.peek("hash2"));
        cache.invalidateAll();
        assertEquals(0, cache.size());
    }

    @Test
    void aCacheOfZeroKeepsNothing() throws Exception {
        SignalledCache<String, String> cache = new SignalledCache<>(0);
        AtomicInteger reads = new AtomicInteger();
        cache.get("k", k -> "v" + reads.incrementAndGet());
        assertEquals("v2", cache.get("k", k -> "v" + reads.incrementAndGet()));
    }
}
