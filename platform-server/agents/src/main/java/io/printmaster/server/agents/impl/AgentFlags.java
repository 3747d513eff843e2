package io.printmaster.server.agents.impl;

import io.printmaster.core.policy.UpdatePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The health flags of an agent ({@code "flags"} of every agent in the API, the {@code flag} filter, the dashboard's
 * counts). Each is defined once here, as SQL over {@code PM_AGENT} and as the same rule in Java, so a listed agent's
 * flags and the filters and counts never disagree. Revoked agents carry no flag: they will never check in again.
 */
final class AgentFlags {
    static final String STALE = "stale";
    static final String LOW_DISK = "low_disk";
    static final String FAILED = "failed";
    static final List<String> ALL = List.of(STALE, LOW_DISK, FAILED);

    /** The cadence assumed when a policy schedules no checks ({@code update_check_days} 0): the default policy's. */
    static final Duration DEFAULT_CADENCE = Duration.ofDays(UpdatePolicy.defaults().updateCheckDays());

    private AgentFlags() {
    }

    /**
     * The SQL condition of a flag over {@code PM_AGENT}; {@code stale} takes the current time as its one parameter.
     *
     * @throws IllegalArgumentException for an unknown flag
     */
    static String condition(String flag) {
        return "REVOKED_AT IS NULL AND " + switch (flag) {
            case STALE -> "STALE_AFTER < ?";
            case LOW_DISK -> "LAST_ERROR_CODE = 'DISK_SPACE'";
            case FAILED -> "LAST_RESULT IN ('failed', 'rolled_back')";
            default -> throw new IllegalArgumentException("unknown flag " + flag);
        };
    }

    /** Whether {@link #condition} takes the current time as a parameter. */
    static boolean needsNow(String flag) {
        return STALE.equals(flag);
    }

    /** The flags of one agent, in the order of {@link #ALL}. */
    static List<String> of(Instant revokedAt, Instant staleAfter, String lastErrorCode, String lastResult, Instant now) {
        List<String> out = new ArrayList<>(3);
        if (revokedAt != null) {
            return List.of();
        }
        if (staleAfter != null && staleAfter.isBefore(now)) {
            out.add(STALE);
        }
        if ("DISK_SPACE".equals(lastErrorCode)) {
            out.add(LOW_DISK);
        }
        if ("failed".equals(lastResult) || "rolled_back".equals(lastResult)) {
            out.add(FAILED);
        }
        return List.copyOf(out);
    }

    /**
     * How long an agent's check-ins may be apart: the policy its check-in answered ({@code update_check_days}; the
     * default policy's when checks are off), or longer when the agent announced its next check further out (a
     * maintenance window that opens later).
     */
    static Duration cadence(UpdatePolicy policy, Instant now, Instant nextCheckAt) {
        Duration cadence = policy != null && policy.updateCheckDays() > 0
                ? Duration.ofDays(policy.updateCheckDays()) : DEFAULT_CADENCE;
        if (nextCheckAt != null && nextCheckAt.isAfter(now.plus(cadence))) {
            cadence = Duration.between(now, nextCheckAt);
        }
        return cadence;
    }

    /** When an agent seen now becomes stale: after twice its cadence without a check-in. */
    static Instant staleAfter(Instant seenAt, Duration cadence) {
        return seenAt.plus(cadence.multipliedBy(2));
    }
}
