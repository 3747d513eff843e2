package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An enrolled agent as the API lists it ({@code GET /api/v1/agents}); never carries its credential.
 *
 * @param fleet           the fleet it enrolled into
 * @param lastSeenAt      its last check-in, or null before the first
 * @param revokedAt       when its credential was revoked, or null while it may check in
 * @param status          the run state of its newest telemetry transition ({@code idle … cancelled}), null before any
 * @param statusAt        when the agent says that transition happened
 * @param targetVersion   the version its newest update run aims at (kept until a run names another)
 * @param lastErrorCode   the error code of its newest transition carrying one; cleared by a terminal one without
 * @param lastResult      the newest terminal status ({@code succeeded failed skipped rolled_back cancelled})
 * @param lastRunId       the run of its newest transition
 * @param nextCheckAt     when the agent said, at its last check-in, it will check in again; null when it did not say
 * @param staleAfter      when it counts as stale unless it checks in before ({@link AgentFlags})
 * @param flags           its health flags at the time it was read: {@code stale}, {@code low_disk}, {@code failed}
 * @param pendingCommands commands not yet delivered ({@code GET /api/v1/agents/{id}} only; null, and left out, in lists)
 */
public record AgentRecord(String id, String fleet, String platform, String arch, String currentVersion,
                          Instant lastSeenAt, String hostname, Instant enrolledAt, Instant revokedAt,
                          String status, Instant statusAt, String targetVersion, String lastErrorCode,
                          String lastResult, String lastRunId, Instant nextCheckAt, Instant staleAfter,
                          List<String> flags,
                          @JsonInclude(JsonInclude.Include.NON_NULL) List<Map<String, Object>> pendingCommands) {

    /** A newly enrolled agent: nothing reported yet. */
    static AgentRecord enrolled(String id, String fleet, String platform, String arch, String currentVersion,
                                String hostname, Instant enrolledAt) {
        return new AgentRecord(id, fleet, platform, arch, currentVersion, null, hostname, enrolledAt, null,
                null, null, null, null, null, null, null,
                AgentFlags.staleAfter(enrolledAt, AgentFlags.DEFAULT_CADENCE), List.of(), null);
    }

    /** This agent as it reports itself at a check-in (for computing the answer before the record is written). */
    AgentRecord reporting(AgentStore.AgentFacts facts) {
        return new AgentRecord(id, fleet, facts.platform(), facts.arch(), facts.currentVersion(), lastSeenAt,
                facts.hostname(), enrolledAt, revokedAt, status, statusAt, targetVersion, lastErrorCode, lastResult,
                lastRunId, nextCheckAt, staleAfter, flags, pendingCommands);
    }

    AgentRecord withPendingCommands(List<Map<String, Object>> commands) {
        return new AgentRecord(id, fleet, platform, arch, currentVersion, lastSeenAt, hostname, enrolledAt, revokedAt,
                status, statusAt, targetVersion, lastErrorCode, lastResult, lastRunId, nextCheckAt, staleAfter, flags,
                List.copyOf(commands));
    }
}
