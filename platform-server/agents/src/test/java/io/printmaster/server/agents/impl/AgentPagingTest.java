package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keyset-paged agents list on a real Derby: each sort walks every agent once, in order; filters; cursors. */
class AgentPagingTest {
    @TempDir
    static Path dir;
    static AgentsFixture f;
    static final List<AgentRecord> AGENTS = new ArrayList<>();

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
        String a = f.fleet("fa");
        String b = f.fleet("fb");
        for (int i = 0; i < 37; i++) {
            String fleet = i % 3 == 0 ? b : a;
            // duplicate host names: the id breaks ties
            AgentRecord r = f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(),
                    new AgentStore.AgentFacts("Host-" + (i % 10), "linux", "amd64", i % 2 == 0 ? "1.0.0" : "1.1.0"))
                    .orElseThrow().agent();
            AGENTS.add(r);
            if (i % 4 == 0) { // some have checked in (a last_seen_at), the others sort after them
                f.clock.advance(Duration.ofMinutes(1));
                f.agents.checkIn(r.id(), new AgentStore.AgentFacts(r.hostname(), "linux", "amd64", r.currentVersion()),
                        null, c -> null);
            }
            if (i % 5 == 0) {
                f.telemetry.record(r.id(), List.of(new TelemetryEvent("r", "failed", r.currentVersion(), "2.0.0",
                        "DISK_SPACE", null, f.clock.instant(), null, null, null, false)));
            }
        }
    }

    @AfterAll
    static void close() {
        f.close();
    }

    private static List<AgentRecord> walk(AgentQuery.Sort sort, boolean desc, int limit, String flag, String q)
            throws Exception {
        List<AgentRecord> out = new ArrayList<>();
        AgentQuery.Cursor after = null;
        for (int pages = 0; pages < 100; pages++) {
            AgentQuery.Page page = f.agents.page(new AgentQuery(Optional.empty(), null, null, null, flag, q, sort, desc,
                    limit, after));
            out.addAll(page.agents());
            if (page.nextCursor() == null) {
                return out;
            }
            assertEquals(limit, page.agents().size());
            after = AgentQuery.Cursor.decode(page.nextCursor());
        }
        throw new AssertionError("no last page");
    }

    @Test
    void everySortWalksEveryAgentExactlyOnceInOrder() throws Exception {
        for (AgentQuery.Sort sort : AgentQuery.Sort.values()) {
            for (boolean desc : new boolean[] {false, true}) {
                List<AgentRecord> seen = walk(sort, desc, 4, null, null);
                assertEquals(37, seen.size(), sort + " " + desc);
                assertEquals(37, new HashSet<>(seen.stream().map(AgentRecord::id).toList()).size(), sort + " " + desc);
                Comparator<AgentRecord> byKey = switch (sort) {
                    case HOSTNAME -> Comparator.comparing(AgentRecord::hostname);
                    case VERSION -> Comparator.comparing(AgentRecord::currentVersion);
                    case LAST_SEEN_AT -> Comparator.comparing(AgentRecord::lastSeenAt,
                            Comparator.nullsLast(Comparator.naturalOrder()));
                    case STATUS -> Comparator.comparing(AgentRecord::status, Comparator.nullsLast(Comparator.naturalOrder()));
                };
                if (desc) {
                    byKey = switch (sort) {
                        case LAST_SEEN_AT -> Comparator.comparing(AgentRecord::lastSeenAt,
                                Comparator.nullsLast(Comparator.<java.time.Instant>reverseOrder()));
                        case STATUS -> Comparator.comparing(AgentRecord::status,
                                Comparator.nullsLast(Comparator.<String>reverseOrder()));
                        default -> byKey.reversed();
                    };
                }
                List<AgentRecord> expected = new ArrayList<>(seen);
                expected.sort(byKey.thenComparing(AgentRecord::id));
                assertEquals(expected, seen, sort + " " + desc);
            }
        }
    }

    @Test
    void filtersAndSearch() throws Exception {
        List<AgentRecord> failed = walk(AgentQuery.Sort.HOSTNAME, false, 500, "failed", null);
        assertEquals(8, failed.size());
        assertTrue(failed.stream().allMatch(a -> a.flags().contains("low_disk") && a.flags().contains("failed")));
        assertEquals(8, walk(AgentQuery.Sort.HOSTNAME, false, 3, "low_disk", null).size());
        assertEquals(List.of(), walk(AgentQuery.Sort.HOSTNAME, false, 3, "stale", null));
        assertEquals(4, walk(AgentQuery.Sort.HOSTNAME, false, 3, null, "host-3").size(), "case-insensitive contains");
        assertEquals(List.of(AGENTS.get(5).id()), walk(AgentQuery.Sort.HOSTNAME, false, 3, null, AGENTS.get(5).id())
                .stream().map(AgentRecord::id).toList());
        assertEquals(List.of(), walk(AgentQuery.Sort.HOSTNAME, false, 3, null, "%"), "LIKE characters match themselves");
        AgentQuery onlyFb = new AgentQuery(Optional.of(Set.of("fb")), null, "1.0.0", null, null, null,
                AgentQuery.Sort.HOSTNAME, false, 500, null);
        assertEquals(7, f.agents.page(onlyFb).agents().size(), "fleet fb (13 agents), version 1.0.0 (every other)");
        AgentQuery hidden = new AgentQuery(Optional.of(Set.of("fb")), "fa", null, null, null, null,
                AgentQuery.Sort.HOSTNAME, false, 500, null);
        assertEquals(List.of(), f.agents.page(hidden).agents());
    }

    @Test
    void aCursorThatWasNotHandedOutIsA400NamingIt() {
        for (String bad : List.of("!!", "bm90LWEtY3Vyc29y", "")) {
            ApiException e = assertThrows(ApiException.class, () -> AgentQuery.Cursor.decode(bad));
            assertEquals("cursor", e.field());
        }
        AgentQuery.Cursor c = new AgentQuery.Cursor(null, "agt_1");
        assertEquals(c, assertDoesNotThrow(c.encode()));
        AgentQuery.Cursor v = new AgentQuery.Cursor("host\nwith newline", "agt_2");
        assertEquals(v, assertDoesNotThrow(v.encode()));
    }

    private static AgentQuery.Cursor assertDoesNotThrow(String encoded) {
        try {
            return AgentQuery.Cursor.decode(encoded);
        } catch (ApiException e) {
            throw new AssertionError(e);
        }
    }
}
