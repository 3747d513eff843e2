package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.AuditLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's health signals on a real Derby: {@code up_to_date} moves the summary without a row, the flags follow
 * the summary and the clock, every outcome is audited, and the events reach {@code ServerEvents} after commit (and
 * {@code release.failed} only at its milestones).
 */
class AgentSignalsTest {
    @TempDir
    static Path dir;
    static AgentsFixture f;
    static final List<ServerEvent> PUBLISHED = new CopyOnWriteArrayList<>();
    private static final AtomicInteger NAMES = new AtomicInteger();

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
        f.telemetry.bindEvents(PUBLISHED::add);
    }

    @AfterAll
    static void close() {
        f.close();
    }

    static AgentRecord enroll(String fleet, String host) throws Exception {
        return f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(), AgentsFixture.facts(host))
                .orElseThrow().agent();
    }

    static TelemetryEvent event(String run, String status, String target, String error, Long downloadMs) {
        return new TelemetryEvent(run, status, "1.0.0", target, error, null, f.clock.instant(), downloadMs, null, null,
                false);
    }

    private static int rows(AgentRecord a) throws Exception {
        return f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + a.id() + "'");
    }

    private static List<String> types(String fleet) {
        return PUBLISHED.stream().filter(e -> fleet.equals(e.fleet())).map(ServerEvent::type).toList();
    }

    @Test
    void upToDateMovesTheSummaryButStoresNoRowAndClearsTheFailedFlag() throws Exception {
        String fleet = f.fleet("sig-" + NAMES.incrementAndGet());
        AgentRecord a = enroll(fleet, "uptodate-host");
        assertTrue(f.telemetry.record(a.id(), List.of(event("r1", "failed", "1.1.0", "DISK_SPACE", null))));
        assertEquals(List.of("low_disk", "failed"), f.agents.find(a.id()).orElseThrow().flags());
        assertEquals(1, rows(a));

        f.clock.advance(Duration.ofMinutes(1));
        assertTrue(f.telemetry.record(a.id(), List.of(event("r2", "up_to_date", null, null, null))));
        AgentRecord after = f.agents.find(a.id()).orElseThrow();
        assertEquals("up_to_date", after.status());
        assertEquals("up_to_date", after.lastResult());
        assertNull(after.lastErrorCode());
        assertEquals(List.of(), after.flags());
        assertEquals(1, rows(a), "a check that found nothing stores no transition");
        assertEquals(List.of("agent.status", "agent.outcome", "release.failed", "agent.status"), types(fleet));
    }

    @Test
    void everyOutcomeIsAuditedWithItsVersionsAndErrorCode() throws Exception {
        String fleet = f.fleet("sig-" + NAMES.incrementAndGet());
        AgentRecord a = enroll(fleet, "audited-host");
        f.telemetry.record(a.id(), List.of(event("r1", "downloading", "1.1.0", null, 900L),
                event("r1", "rolled_back", "1.1.0", "HEALTH_CHECK", null)));
        List<AuditLog.Entry> audit = f.audit.list(new AuditLog.Query(Optional.empty(), Optional.empty(),
                Optional.of(Set.of(fleet)), Optional.empty(), 10));
        assertEquals("agent.update.rolled_back", audit.get(0).action());
        assertEquals("agent:" + a.id(), audit.get(0).target());
        assertTrue(audit.get(0).after().contains("\"target_version\":\"1.1.0\""), audit.get(0).after());
        assertTrue(audit.get(0).after().contains("\"error_code\":\"HEALTH_CHECK\""), audit.get(0).after());
        ServerEvent outcome = PUBLISHED.stream().filter(e -> fleet.equals(e.fleet())
                && ServerEvent.AGENT_OUTCOME.equals(e.type())).findFirst().orElseThrow();
        assertEquals(a.id(), outcome.data().get("agent_id"));
        assertEquals("rolled_back", outcome.data().get("status"));
        assertEquals("agent", outcome.data().get("component"));
    }

    @Test
    void releaseFailedIsPublishedAtTheMilestonesOnly() throws Exception {
        String fleet = f.fleet("sig-" + NAMES.incrementAndGet());
        for (int i = 0; i < 12; i++) {
            AgentRecord a = enroll(fleet, "failing-" + i);
            f.telemetry.record(a.id(), List.of(event("r" + i, "failed", "2.0.0", "APPLY_FAILED", null)));
        }
        List<Object> counts = PUBLISHED.stream().filter(e -> fleet.equals(e.fleet())
                && ServerEvent.RELEASE_FAILED.equals(e.type())).map(e -> e.data().get("failed")).toList();
        assertEquals(List.of(1L, 5L, 10L), counts);
        assertTrue(OutcomeSignals.milestone(250) && OutcomeSignals.milestone(2500) && !OutcomeSignals.milestone(26));
    }

    @Test
    void anAgentIsStaleAfterTwiceItsCadenceWithoutACheckIn() throws Exception {
        String fleet = f.fleet("sig-" + NAMES.incrementAndGet());
        AgentRecord never = enroll(fleet, "never-seen");
        AgentRecord seen = enroll(fleet, "seen-daily");
        io.printmaster.core.policy.UpdatePolicy daily = io.printmaster.core.policy.UpdatePolicy.defaults();
        daily = new io.printmaster.core.policy.UpdatePolicy(1, daily.versionPinStrategy(), daily.allowMajorUpgrade(),
                daily.targetVersion(), daily.collectTelemetry(), daily.maintenanceWindow(), daily.rolloutControl());
        f.agents.checkIn(seen.id(), AgentsFixture.facts("seen-daily"), null, daily, c -> null).orElseThrow();
        f.clock.advance(Duration.ofDays(2).plusMinutes(1));
        assertEquals(List.of("stale"), f.agents.find(seen.id()).orElseThrow().flags(), "daily checks, 2 days silent");
        assertEquals(List.of(), f.agents.find(never.id()).orElseThrow().flags(), "14 days after enrollment only");
        f.clock.advance(Duration.ofDays(12));
        assertEquals(List.of("stale"), f.agents.find(never.id()).orElseThrow().flags());
        f.agents.revoke(never.id(), "admin");
        assertEquals(List.of(), f.agents.find(never.id()).orElseThrow().flags(), "a revoked agent carries no flag");
    }

    @Test
    void theStaleAfterOfAnAnnouncedLaterCheckIsThatCheckPlusItsCadence() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        Instant next = now.plus(Duration.ofDays(10));
        assertEquals(Duration.ofDays(10), AgentFlags.cadence(null, now, next));
        assertEquals(AgentFlags.DEFAULT_CADENCE, AgentFlags.cadence(null, now, now.plusSeconds(60)));
    }
}
