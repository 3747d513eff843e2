package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator.RequestCredentials;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.agents.api.InstallerToken;
import io.printmaster.store.AuditLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Join tokens, enrollment and agent credentials on a real embedded Derby, shared by the tests of this class (opening
 * one takes seconds): each test works in fleets of its own.
 */
class JoinTokensAndEnrollmentTest {
    @TempDir
    static Path dir;
    static AgentsFixture f;
    private static final AtomicInteger FLEETS = new AtomicInteger();

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
    }

    @AfterAll
    static void close() {
        f.close();
    }

    /** A new fleet of this test's own. */
    private static String fleet(String name) throws Exception {
        return f.fleet(name + "-" + FLEETS.incrementAndGet());
    }

    private static int agentRows(String fleet) throws Exception {
        return f.count("SELECT COUNT(*) FROM PM_AGENT WHERE FLEET_ID = '" + fleet + "'");
    }

    private static List<AuditLog.Entry> auditOf(String fleet, int limit) throws Exception {
        return f.audit.list(new AuditLog.Query(Optional.empty(), Optional.empty(), Optional.of(Set.of(fleet)),
                Optional.empty(), limit));
    }

    @Test
    void aTokenEnrollsAnAgentIntoItsFleetAndOnlyHashesAreStored() throws Exception {
        String fleet = fleet("lab");
        JoinTokenStore.NewJoinToken token = f.tokens.create(fleet, 168, null, "admin");
        assertTrue(token.token().startsWith("pmj_") && token.token().length() >= 4 + 43, token.token());
        assertEquals(Duration.ofHours(168), Duration.between(f.clock.instant(), token.info().expiresAt()));

        AgentStore.Enrolled enrolled = f.agents.enroll(token.token(), AgentsFixture.facts("host-1")).orElseThrow();
        assertEquals(fleet, enrolled.agent().fleet());
        assertTrue(enrolled.agent().id().startsWith("agt_"), enrolled.agent().id());
        assertTrue(enrolled.credential().startsWith("pma_") && enrolled.credential().length() >= 4 + 43);
        assertEquals(1, f.tokens.list(fleet).get(0).uses());

        List<String> stored = f.everyValue("PM_JOIN_TOKEN", "PM_AGENT", "AUDIT_LOG");
        for (String value : stored) {
            assertFalse(value.contains(token.token()), "the join token's text is stored: " + value);
            assertFalse(value.contains(enrolled.credential()), "the credential's text is stored: " + value);
            assertFalse(value.contains(token.token().substring(4)), "the join token's random part is stored: " + value);
            assertFalse(value.contains(enrolled.credential().substring(4)), "the credential's random part is stored: " + value);
        }
        assertTrue(stored.contains(AgentSecrets.sha256Hex(token.token())));
        assertTrue(stored.contains(AgentSecrets.sha256Hex(enrolled.credential())));
        assertEquals(List.of("agent.enroll", "join_token.create"),
                auditOf(fleet, 10).stream().map(AuditLog.Entry::action).toList());
    }

    /** Regression: deleting a fleet and creating one with the same id made the old fleet's tokens work again. */
    @Test
    void aTokenOfADeletedFleetDoesNotEnrollIntoANewFleetOfTheSameId() throws Exception {
        String fleet = fleet("reused");
        String token = f.tokens.create(fleet, 24, null, "admin").token();
        String oldInstallerToken = f.tokens.installerToken(fleet, "installers").token();
        f.deleteFleet(fleet);
        f.clock.advance(Duration.ofMinutes(5));
        f.fleet(fleet);
        assertEquals(Optional.empty(), f.agents.enroll(token, AgentsFixture.facts("intruder")));
        assertEquals(Optional.empty(), f.agents.enroll(oldInstallerToken, AgentsFixture.facts("intruder-2")));
        assertNotEquals(oldInstallerToken, f.tokens.installerToken(fleet, "installers").token(),
                "the new fleet's installers get a token of their own");
        assertEquals(0, agentRows(fleet));
        String fresh = f.tokens.create(fleet, 24, null, "admin").token();
        assertTrue(f.agents.enroll(fresh, AgentsFixture.facts("welcome")).isPresent(), "the new fleet's own tokens work");
    }

    @Test
    void anExpiredTokenEnrollsNobody() throws Exception {
        String fleet = fleet("lab");
        String token = f.tokens.create(fleet, 1, null, "admin").token();
        f.clock.advance(Duration.ofMinutes(59));
        assertTrue(f.agents.enroll(token, AgentsFixture.facts("in-time")).isPresent());
        f.clock.advance(Duration.ofMinutes(1));
        assertEquals(Optional.empty(), f.agents.enroll(token, AgentsFixture.facts("too-late")), "expires after 1 h");
        assertEquals(1, agentRows(fleet));
        assertEquals(1, f.tokens.list(fleet).get(0).uses(), "a refused enrollment takes no use");
    }

    @Test
    void aRevokedTokenEnrollsNobodyAndRevocationIsAudited() throws Exception {
        String fleet = fleet("lab");
        JoinTokenStore.NewJoinToken token = f.tokens.create(fleet, 24, null, "admin");
        assertTrue(f.tokens.revoke(fleet, token.info().id(), "ops"));
        assertEquals(Optional.empty(), f.agents.enroll(token.token(), AgentsFixture.facts("h")));
        assertEquals(0, agentRows(fleet));
        assertFalse(f.tokens.revoke("other", token.info().id(), "ops"), "another fleet's token is not found");
        assertFalse(f.tokens.revoke(fleet, "jt_nope", "ops"));
        assertNotEquals(null, f.tokens.list(fleet).get(0).revokedAt());
        AuditLog.Entry revoke = auditOf(fleet, 1).get(0);
        assertEquals("join_token.revoke", revoke.action());
        assertEquals(fleet, revoke.fleet());
        assertEquals("ops", revoke.actor());
    }

    @Test
    void unknownMalformedAndOrphanedTokensEnrollNobody() throws Exception {
        String fleet = fleet("gone");
        String token = f.tokens.create(fleet, 24, null, "admin").token();
        assertEquals(Optional.empty(), f.agents.enroll("pmj_" + "A".repeat(43), AgentsFixture.facts("h")));
        assertEquals(Optional.empty(), f.agents.enroll("pmt_" + token.substring(4), AgentsFixture.facts("h")));
        f.deleteFleet(fleet);
        assertEquals(Optional.empty(), f.agents.enroll(token, AgentsFixture.facts("h")), "the fleet no longer exists");
        assertEquals(0, agentRows(fleet));
        assertEquals(0, f.tokens.list(fleet).get(0).uses());
    }

    @Test
    void maxUsesIsExactUnderConcurrentEnrollment() throws Exception {
        String fleet = fleet("lab");
        String token = f.tokens.create(fleet, 24, 3, "admin").token();
        int callers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Optional<AgentStore.Enrolled>>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                String host = "host-" + i;
                Callable<Optional<AgentStore.Enrolled>> enroll = () -> {
                    start.await();
                    return f.agents.enroll(token, AgentsFixture.facts(host));
                };
                results.add(pool.submit(enroll));
            }
            start.countDown();
            int enrolled = 0;
            for (Future<Optional<AgentStore.Enrolled>> r : results) {
                enrolled += r.get().isPresent() ? 1 : 0;
            }
            assertEquals(3, enrolled, "exactly max_uses enrollments succeed");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(3, agentRows(fleet));
        assertEquals(3, f.tokens.list(fleet).get(0).uses());
        assertEquals(Optional.empty(), f.agents.enroll(token, AgentsFixture.facts("late")));
    }

    @Test
    void creatingValidatesFleetAndRanges() throws Exception {
        String fleet = fleet("lab");
        assertThrows(IllegalArgumentException.class, () -> f.tokens.create("nope", 24, null, "admin"));
        assertThrows(IllegalArgumentException.class, () -> f.tokens.create(fleet, 0, null, "admin"));
        assertThrows(IllegalArgumentException.class, () -> f.tokens.create(fleet, 8761, null, "admin"));
        assertThrows(IllegalArgumentException.class, () -> f.tokens.create(fleet, 24, 0, "admin"));
        assertEquals(8760, Duration.between(f.clock.instant(), f.tokens.create(fleet, 8760, 1, "admin").info().expiresAt()).toHours());
    }

    @Test
    void theInstallerTokenIsReusedWhileValidSealedAndRenewedWhenRevokedOrNearExpiry() throws Exception {
        String fleet = fleet("lab");
        InstallerToken first = f.tokens.installerToken(fleet, "installer-builder");
        assertTrue(first.token().startsWith("pmj_"));
        assertEquals(first, f.tokens.installerToken(fleet, "someone-else"), "the valid one is reused");
        assertFalse(first.toString().contains(first.token()), "toString keeps the secret out of logs");
        for (String value : f.everyValue("PM_JOIN_TOKEN", "AUDIT_LOG")) {
            assertFalse(value.contains(first.token().substring(4)), "the installer token is stored in clear: " + value);
        }
        JoinTokenStore.JoinTokenInfo listed = f.tokens.list(fleet).get(0);
        assertTrue(listed.installer());
        assertEquals(100, listed.maxUses(), "an installer token is limited in uses by default");

        // it enrolls like any token
        assertTrue(f.agents.enroll(first.token(), AgentsFixture.facts("h")).isPresent());

        // less than a day left: a new installer carries a fresh token (the old one still works until it expires)
        f.clock.advance(Duration.ofHours(168 - 23));
        InstallerToken second = f.tokens.installerToken(fleet, "installer-builder");
        assertNotEquals(first.id(), second.id());
        assertTrue(f.agents.enroll(first.token(), AgentsFixture.facts("h2")).isPresent());

        assertTrue(f.tokens.revoke(fleet, second.id(), "admin"));
        InstallerToken third = f.tokens.installerToken(fleet, "installer-builder");
        assertNotEquals(second.id(), third.id());

        assertThrows(IllegalArgumentException.class, () -> f.tokens.installerToken("no-such-fleet", "x"));
    }

    @Test
    void theInstallerTokenEnrollsAtMostItsLimitThenTheNextInstallerGetsANewOne() throws Exception {
        String fleet = fleet("lab");
        InstallerToken token = f.tokens.installerToken(fleet, 2, "installer-builder");
        assertEquals(token, f.tokens.installerToken(fleet, 2, "installer-builder"), "same limit: the same token");
        assertTrue(f.agents.enroll(token.token(), AgentsFixture.facts("h1")).isPresent());
        assertTrue(f.agents.enroll(token.token(), AgentsFixture.facts("h2")).isPresent());
        assertTrue(f.agents.enroll(token.token(), AgentsFixture.facts("h3")).isEmpty(), "the third machine is refused");
        assertEquals(2, agentRows(fleet));
        InstallerToken next = f.tokens.installerToken(fleet, 2, "installer-builder");
        assertNotEquals(token.id(), next.id(), "a used-up token is never embedded again");
    }

    @Test
    void aTokenWithAnotherLimitOrNoneIsNotEmbeddedAgain() throws Exception {
        String fleet = fleet("lab");
        InstallerToken hundred = f.tokens.installerToken(fleet, "installer-builder");
        InstallerToken five = f.tokens.installerToken(fleet, 5, "installer-builder");
        assertNotEquals(hundred.id(), five.id());
        assertEquals(hundred, f.tokens.installerToken(fleet, 100, "installer-builder"));
        // an installer token an older version minted had no limit: it is not handed out any more
        f.update("UPDATE PM_JOIN_TOKEN SET MAX_USES = NULL WHERE ID = ?", hundred.id());
        InstallerToken renewed = f.tokens.installerToken(fleet, "installer-builder");
        assertNotEquals(hundred.id(), renewed.id());
        assertEquals(100, f.tokens.list(fleet).stream().filter(t -> t.id().equals(renewed.id())).findFirst().orElseThrow().maxUses());
    }

    @Test
    void aDedicatedInstallerTokenIsNeverEmbeddedAgainNorKept() throws Exception {
        String fleet = fleet("lab");
        InstallerToken one = f.tokens.dedicatedInstallerToken(fleet, 1, "admin");
        InstallerToken two = f.tokens.dedicatedInstallerToken(fleet, 1, "admin");
        assertNotEquals(one.id(), two.id());
        assertNotEquals(one.id(), f.tokens.installerToken(fleet, 1, "installer-builder").id());
        assertEquals(0, f.count("SELECT COUNT(*) FROM PM_JOIN_TOKEN WHERE ID IN ('" + one.id() + "', '" + two.id()
                + "') AND SEALED_TOKEN IS NOT NULL"), "its text is not kept");
        assertTrue(f.agents.enroll(one.token(), AgentsFixture.facts("h1")).isPresent());
        assertTrue(f.agents.enroll(one.token(), AgentsFixture.facts("h2")).isEmpty());
        JoinTokenStore.JoinTokenInfo listed = f.tokens.list(fleet).stream().filter(t -> t.id().equals(one.id())).findFirst().orElseThrow();
        assertTrue(listed.installer());
        assertEquals(1, listed.maxUses());
    }

    @Test
    void anInstallerLimitOutOfRangeIsRefusedNamingIt() throws Exception {
        String fleet = fleet("lab");
        for (int bad : new int[] {0, -1, 1_000_001}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tokens.installerToken(fleet, bad, "x"));
            assertEquals("max_uses must be between 1 and 1000000, not " + bad, e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> f.tokens.dedicatedInstallerToken(fleet, bad, "x"));
        }
        assertEquals(0, f.tokens.list(fleet).size(), "nothing minted");
    }

    @Test
    void concurrentInstallerBuildsGetTheSameToken() throws Exception {
        String fleet = fleet("lab");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<InstallerToken>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return f.tokens.installerToken(fleet, "installer-builder");
                }));
            }
            start.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<InstallerToken> r : results) {
                ids.add(r.get().id());
            }
            assertEquals(1, ids.size(), "one token minted: " + ids);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, f.tokens.list(fleet).size());
    }

    @Test
    void theCredentialAuthenticatesAnAgentOfItsFleetUntilRevoked() throws Exception {
        String fleet = fleet("lab");
        String token = f.tokens.create(fleet, 24, null, "admin").token();
        AgentStore.Enrolled enrolled = f.agents.enroll(token, AgentsFixture.facts("h")).orElseThrow();
        AgentAuthenticator authenticator = new AgentAuthenticator(f.agents);

        Caller caller = authenticator.authenticate(bearer(enrolled.credential())).orElseThrow();
        assertEquals(Caller.Kind.AGENT, caller.kind());
        assertEquals(Set.of(Scopes.AGENT), caller.scopes());
        assertEquals(Optional.of(Set.of(fleet)), caller.fleets());
        assertEquals(enrolled.agent().id(), AgentAuthenticator.agentId(caller));
        assertFalse(Scopes.ALL.contains(Scopes.AGENT), "API tokens cannot be granted the agent scope");

        assertEquals(Optional.empty(), authenticator.authenticate(bearer("pmt_someApiToken")), "not an agent credential");
        assertEquals(Optional.empty(), authenticator.authenticate(new RequestCredentials(Optional.empty(), Optional.of("cookie"), "127.0.0.1")));
        assertEquals(401, assertThrows(ApiException.class, () -> authenticator.authenticate(bearer("pma_" + "x".repeat(43)))).status());

        // check-in records what the agent reports
        AgentRecord seen = f.agents.checkIn(enrolled.agent().id(), new AgentStore.AgentFacts("h-renamed", "linux", "arm64", "1.1.0"),
                null, c -> null).orElseThrow().agent();
        assertEquals(f.clock.instant(), seen.lastSeenAt());
        assertEquals("1.1.0", seen.currentVersion());
        assertEquals("arm64", seen.arch());
        assertEquals("h-renamed", seen.hostname());

        assertTrue(f.agents.revoke(enrolled.agent().id(), "admin"));
        assertEquals(401, assertThrows(ApiException.class, () -> authenticator.authenticate(bearer(enrolled.credential()))).status());
        assertEquals(Optional.empty(), f.agents.checkIn(enrolled.agent().id(), AgentsFixture.facts("h"), null, c -> null));
        assertFalse(f.agents.revoke("agt_unknown", "admin"));
        assertEquals("agent.revoke", auditOf(fleet, 1).get(0).action());
    }

    @Test
    void listingHonoursFleetRestrictions() throws Exception {
        String a = fleet("a");
        String b = fleet("b");
        f.agents.enroll(f.tokens.create(a, 24, null, "admin").token(), AgentsFixture.facts("in-a")).orElseThrow();
        f.agents.enroll(f.tokens.create(b, 24, null, "admin").token(), AgentsFixture.facts("in-b")).orElseThrow();
        assertEquals(List.of("in-a"), list(Optional.of(Set.of(a)), Optional.empty()).stream().map(AgentRecord::hostname).toList());
        assertEquals(List.of(), list(Optional.of(Set.of(a)), Optional.of(b)));
        assertEquals(Set.of("in-a", "in-b"), list(Optional.of(Set.of(a, b)), Optional.empty()).stream()
                .map(AgentRecord::hostname).collect(java.util.stream.Collectors.toSet()));
        assertEquals(List.of("in-b"), list(Optional.empty(), Optional.of(b)).stream().map(AgentRecord::hostname).toList());
    }

    /** Every agent the listing shows (one page of the largest size), by host name. */
    private List<AgentRecord> list(Optional<Set<String>> visible, Optional<String> fleet) throws Exception {
        return f.agents.page(new AgentQuery(visible, fleet.orElse(null), null, null, null, null,
                AgentQuery.Sort.HOSTNAME, false, AgentQuery.MAX_LIMIT, null)).agents();
    }

    private static RequestCredentials bearer(String token) {
        return new RequestCredentials(Optional.of(token), Optional.empty(), "127.0.0.1");
    }
}
