package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.server.agents.api.AgentStatistics.Count;
import io.printmaster.server.agents.api.AgentStatistics.ReleaseOutcomes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's SQL on a real Derby: exact counts, nearest-rank percentiles, top errors, days, fleet filters. */
class AgentStatisticsTest {
    @TempDir
    Path dir;
    AgentsFixture f;
    JdbcAgentStatistics stats;

    @BeforeEach
    void open() throws Exception {
        f = new AgentsFixture(dir);
        stats = new JdbcAgentStatistics(f.db);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private AgentRecord enroll(String fleet, String host, String version) throws Exception {
        return f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(),
                new AgentStore.AgentFacts(host, "linux", "amd64", version)).orElseThrow().agent();
    }

    private void report(AgentRecord a, String status, String target, String error, Long downloadMs) throws Exception {
        f.telemetry.record(a.id(), List.of(new TelemetryEvent("run-" + status, status, a.currentVersion(), target,
                error, null, f.clock.instant(), downloadMs, null, null, false)));
    }

    @Test
    void everyDownloadTimeFallsInABucketEndingAtMost2Point2PercentAboveIt() {
        for (long ms = 0; ms < 200_000; ms += ms < 2000 ? 1 : 97) {
            long upper = OutcomeRollup.upperBound(OutcomeRollup.bucket(ms));
            org.junit.jupiter.api.Assertions.assertTrue(upper >= ms && upper <= ms * 1.022, ms + " → " + upper);
        }
    }

    @Test
    void agentCountsByVersionStatusFlagAndCheckIn() throws Exception {
        String lab = f.fleet("lab");
        String prod = f.fleet("prod");
        List<AgentRecord> labAgents = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            labAgents.add(enroll(lab, "lab-" + i, i < 3 ? "1.0.0" : "1.1.0"));
        }
        AgentRecord p0 = enroll(prod, "prod-0", "1.1.0");
        AgentRecord p1 = enroll(prod, "prod-1", "1.1.0");
        f.agents.checkIn(labAgents.get(0).id(), AgentsFixture.facts("lab-0"), null, c -> null);
        f.clock.advance(Duration.ofDays(3));
        f.agents.checkIn(labAgents.get(1).id(), AgentsFixture.facts("lab-1"), null, c -> null);
        report(labAgents.get(2), "failed", "1.1.0", "DISK_SPACE", null);
        report(p0, "succeeded", "1.1.0", null, 100L);
        f.agents.revoke(p1.id(), "admin");
        f.clock.advance(Duration.ofDays(12)); // lab-0 seen 15 days ago: stale; the rest enrolled 15 days ago: stale too

        AgentStatistics.AgentCounts all = stats.agents(Optional.empty(), f.clock.instant());
        assertEquals(5, all.total(), "the revoked agent is not counted");
        // check-ins report 1.0.0 (AgentsFixture.facts): lab-0 and lab-1 now run it
        assertEquals(List.of(new Count("1.0.0", 3), new Count("1.1.0", 2)), all.byVersion());
        assertEquals(List.of(new Count(null, 3), new Count("failed", 1), new Count("succeeded", 1)), all.byStatus());
        assertEquals(4, all.stale(), "all but lab-1, seen 12 days ago");
        assertEquals(1, all.lowDisk());
        assertEquals(1, all.failed());
        assertEquals(0, all.checkedInDay());
        assertEquals(0, all.checkedInWeek());
        assertEquals(3, all.neverCheckedIn());
        assertEquals(List.of("lab", "prod"), all.fleets().stream().map(AgentStatistics.FleetVersions::fleet).toList());

        AgentStatistics.AgentCounts prodOnly = stats.agents(Optional.of(Set.of(prod)), f.clock.instant());
        assertEquals(1, prodOnly.total());
        assertEquals(0, stats.agents(Optional.of(Set.of()), f.clock.instant()).total());
    }

    @Test
    void releaseOutcomesPercentilesTopErrorsAndDays() throws Exception {
        String lab = f.fleet("lab");
        String prod = f.fleet("prod");
        // 20 downloads of 2.0.0 in lab: 10, 20, …, 200 ms → p50 = 100 (rank 10), p95 = 190 (rank 19)
        for (int i = 1; i <= 20; i++) {
            AgentRecord a = enroll(lab, "lab-" + i, "1.0.0");
            report(a, "downloading", "2.0.0", null, 10L * i);
            if (i <= 14) {
                report(a, "succeeded", "2.0.0", null, null);
            } else if (i <= 18) {
                report(a, "failed", "2.0.0", i <= 17 ? "DOWNLOAD_FAILED" : "DISK_SPACE", null);
            } else {
                report(a, "rolled_back", "2.0.0", "HEALTH_CHECK", null);
            }
            if (i == 10) {
                f.clock.advance(Duration.ofDays(1));
            }
        }
        AgentRecord other = enroll(prod, "prod-1", "1.0.0");
        report(other, "failed", "2.0.0", "APPLY_FAILED", 5000L);
        f.clock.advance(Duration.ofDays(40));
        report(other, "succeeded", "1.9.0", null, null);
        f.clock.advance(Duration.ofMinutes(1));

        Instant since = f.clock.instant().minus(Duration.ofDays(90));
        List<ReleaseOutcomes> lab90 = stats.releases(Optional.of(Set.of(lab)), since);
        assertEquals(1, lab90.size());
        ReleaseOutcomes r = lab90.get(0);
        assertEquals("agent", r.component());
        assertEquals("2.0.0", r.version());
        assertEquals(14, r.succeeded());
        assertEquals(4, r.failed());
        assertEquals(2, r.rolledBack());
        assertEquals(0.7, r.successRate());
        assertEquals(100L, r.downloadMsP50(), "nearest rank 10 of 20: 100 ms, whose bucket ends at 100");
        assertEquals(193L, r.downloadMsP95(), "nearest rank 19 of 20: 190 ms, in the bucket up to 193");
        assertEquals(List.of(new Count("DOWNLOAD_FAILED", 3), new Count("HEALTH_CHECK", 2), new Count("DISK_SPACE", 1)),
                r.topErrors());
        LocalDate first = LocalDate.parse("2026-11-26"); // days are UTC days
        assertEquals(List.of(new AgentStatistics.DayOutcomes(first, 10, 0, 0),
                new AgentStatistics.DayOutcomes(first.plusDays(1), 4, 4, 2)), r.byDay());

        List<ReleaseOutcomes> everyone = stats.releases(Optional.empty(), since);
        assertEquals(List.of("2.0.0", "1.9.0"), everyone.stream().map(ReleaseOutcomes::version).toList());
        assertEquals(5, everyone.get(0).failed());
        assertEquals(201L, everyone.get(0).downloadMsP95(), "rank 20 of 21 (200 ms, bucket up to 201): the 5000 ms outlier is the 21st");

        List<ReleaseOutcomes> lastWeek = stats.releases(Optional.empty(), f.clock.instant().minus(Duration.ofDays(7)));
        // the window counts whole UTC days: 7 days back from now starts at that day's midnight
        assertEquals(1, lastWeek.size(), "the window bounds the telemetry read");
        assertEquals(1.0, lastWeek.get(0).successRate());
        assertNull(lastWeek.get(0).downloadMsP50());
    }
}
