package io.printmaster.server.rollouts.api;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a dashboard shows of the staged rollouts: the active ones and where each fleet is headed. Read-only and
 * cheap (grouped counts per rollout, one grouped agent query per fleet). Thread-safe.
 *
 * @since 1.0
 */
@ProviderType
public interface RolloutOverview {

    /** The states of an active rollout (one that still decides what its fleets are offered). */
    List<String> ACTIVE_STATES = List.of("awaiting_approval", "running", "paused", "rolling_back");

    /**
     * The active rollouts, newest first.
     *
     * @param fleets when present, only rollouts that include at least one of these fleets
     */
    List<ActiveRollout> active(Optional<Set<String>> fleets) throws SQLException;

    /**
     * The version the fleet's effective policy moves its agents of {@code component} to, as check-ins and automatic
     * rollouts pick it (the newest version the policy selects for any of its agents among the cached artifacts of
     * their platform); when it moves none (all current, updates off, the emergency stop set), the newest version its
     * agents run; empty for a fleet without agents.
     */
    Optional<String> targetVersion(String fleet, String component) throws SQLException;

    /**
     * One active rollout.
     *
     * @param counts the rollout's agents by progress, as {@code GET /api/v1/rollouts/{id}} counts them
     *               ({@code targeted, pending, in_progress, succeeded, failed, rolled_back, cancelled, reverted,
     *               revert_failed}), in that order
     */
    record ActiveRollout(String id, String state, String component, String version, List<String> fleets,
                         Map<String, Integer> counts) {
        public ActiveRollout {
            fleets = List.copyOf(fleets);
            counts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counts));
        }
    }
}
