package io.printmaster.server.agents.api;

import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The fleet's numbers as a dashboard shows them, each from grouped SQL (never a row per agent or per transition
 * loaded into memory). Revoked agents are never counted. Thread-safe.
 *
 * @since 1.4
 */
@ProviderType
public interface AgentStatistics {

    /** At most this many releases are reported: the newest versions with outcomes in the window. */
    int MAX_RELEASES = 10;

    /** At most this many error codes per release, most frequent first. */
    int TOP_ERRORS = 5;

    /**
     * The agents counted by version, status and health flag, and how recently they checked in.
     *
     * @param fleets only the agents of these fleets, when present (an empty set counts nothing)
     * @param now    the time the flags and "checked in within" are judged at
     */
    AgentCounts agents(Optional<Set<String>> fleets, Instant now) throws SQLException;

    /**
     * Update outcomes per release ({@code component}, target version) received from the UTC day of {@code since} on:
     * the counts of {@code succeeded}, {@code failed} and {@code rolled_back}, the download time percentiles of the
     * transitions that report one (nearest rank, read from a histogram: at most 2.2 % above the exact value), the
     * most frequent error codes of the failures and the counts per UTC day.
     *
     * @param fleets only the telemetry of these fleets' agents, when present
     */
    List<ReleaseOutcomes> releases(Optional<Set<String>> fleets, Instant since) throws SQLException;

    /**
     * @param total          agents counted
     * @param byVersion      per current version, most agents first
     * @param byStatus       per update status (null: never reported), most agents first
     * @param stale          not seen for longer than twice their cadence
     * @param lowDisk        whose last error is {@code DISK_SPACE}
     * @param failed         whose last update failed or was rolled back
     * @param checkedInDay   seen within the last 24 hours
     * @param checkedInWeek  seen within the last 7 days (those of the last day included)
     * @param neverCheckedIn enrolled, never checked in
     * @param fleets         per fleet, its agents by current version (fleets without agents are absent)
     */
    record AgentCounts(long total, List<Count> byVersion, List<Count> byStatus, long stale, long lowDisk, long failed,
                       long checkedInDay, long checkedInWeek, long neverCheckedIn, List<FleetVersions> fleets) {
        public AgentCounts {
            byVersion = List.copyOf(byVersion);
            byStatus = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(byStatus));
            fleets = List.copyOf(fleets);
        }
    }

    /** A value (a version, a status, an error code) and how often it occurs; {@code value} may be null for a status. */
    record Count(String value, long count) {
    }

    /** One fleet's agents by current version, most agents first. */
    record FleetVersions(String fleet, List<Count> current) {
        public FleetVersions {
            current = List.copyOf(current);
        }
    }

    /**
     * One release's outcomes in the window.
     *
     * @param successRate   succeeded / (succeeded + failed + rolled_back), null when there is no outcome
     * @param downloadMsP50 the median download time (nearest rank), null when no transition reported one
     * @param downloadMsP95 the 95th percentile (nearest rank), null likewise
     * @param topErrors     the error codes of its failed and rolled-back outcomes, most frequent first (at most
     *                      {@link #TOP_ERRORS})
     * @param byDay         per day with outcomes, oldest first
     */
    record ReleaseOutcomes(String component, String version, long succeeded, long failed, long rolledBack,
                           Double successRate, Long downloadMsP50, Long downloadMsP95, List<Count> topErrors,
                           List<DayOutcomes> byDay) {
        public ReleaseOutcomes {
            topErrors = List.copyOf(topErrors);
            byDay = List.copyOf(byDay);
        }
    }

    /** One day's outcomes of one release. */
    record DayOutcomes(LocalDate day, long succeeded, long failed, long rolledBack) {
    }
}
