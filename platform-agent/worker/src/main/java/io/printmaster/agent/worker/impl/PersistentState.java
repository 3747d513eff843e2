package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the worker keeps across restarts ({@code <data>/update/state.json}).
 *
 * @param releaseCounter the highest {@code release_counter} of a manifest installed here: an older manifest is a
 *     replay and refused
 * @param lastCheckAt when the server was last asked for an update (the cadence counts from it)
 * @param lastResult how the last run ended
 * @param failedVersions versions that failed their health check here: scheduled runs do not try them again (a
 *     forced run does), so a broken release is not installed and rolled back at every check; a plugin's release as
 *     {@code component@version}
 * @param pluginCounters per vendor plugin component, the highest {@code release_counter} installed here
 * @param rollouts the rollouts this agent updated through, oldest first, at most {@link #MAX_ROLLOUTS}: a rollback
 *     manifest ({@code downgrade}) is accepted only for one of them ({@link ReleaseSource#verifyAgent})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record PersistentState(long releaseCounter, Instant lastCheckAt, StoredResult lastResult, Set<String> failedVersions,
                       Map<String, Long> pluginCounters, List<RolloutParticipation> rollouts) {
    static final PersistentState EMPTY = new PersistentState(0, null, null, Set.of(), Map.of(), List.of());
    /** How many rollouts are remembered: enough for any rollback an admin still starts, bounded so the file stays small. */
    static final int MAX_ROLLOUTS = 20;

    PersistentState {
        failedVersions = failedVersions == null ? Set.of() : Set.copyOf(new TreeSet<>(failedVersions));
        pluginCounters = pluginCounters == null ? Map.of() : Map.copyOf(pluginCounters);
        rollouts = rollouts == null ? List.of() : List.copyOf(rollouts);
    }

    PersistentState(long releaseCounter, Instant lastCheckAt, StoredResult lastResult, Set<String> failedVersions,
                    Map<String, Long> pluginCounters) {
        this(releaseCounter, lastCheckAt, lastResult, failedVersions, pluginCounters, List.of());
    }

    /**
     * Records that this agent starts installing {@code toVersion} from {@code fromVersion} through rollout
     * {@code rolloutId}: an entry of the same rollout is replaced (a retried run), the oldest beyond
     * {@link #MAX_ROLLOUTS} dropped.
     */
    PersistentState withRollout(String rolloutId, String fromVersion, String toVersion, Instant at) {
        List<RolloutParticipation> l = new ArrayList<>(rollouts);
        l.removeIf(r -> rolloutId.equals(r.rolloutId()));
        l.add(new RolloutParticipation(rolloutId, fromVersion, toVersion, at));
        while (l.size() > MAX_ROLLOUTS) {
            l.remove(0);
        }
        return new PersistentState(releaseCounter, lastCheckAt, lastResult, failedVersions, pluginCounters, l);
    }

    /** This agent's part in a rollout, when it took part. */
    Optional<RolloutParticipation> rollout(String rolloutId) {
        return rollouts.stream().filter(r -> r.rolloutId().equals(rolloutId)).findFirst();
    }

    PersistentState withCounter(long counter) {
        return new PersistentState(Math.max(releaseCounter, counter), lastCheckAt, lastResult, failedVersions,
                pluginCounters, rollouts);
    }

    PersistentState withLastCheck(Instant at) {
        return new PersistentState(releaseCounter, at, lastResult, failedVersions, pluginCounters, rollouts);
    }

    PersistentState withResult(StoredResult result) {
        return new PersistentState(releaseCounter, lastCheckAt, result, failedVersions, pluginCounters, rollouts);
    }

    PersistentState withFailed(String version) {
        Set<String> s = new TreeSet<>(failedVersions);
        s.add(version);
        return new PersistentState(releaseCounter, lastCheckAt, lastResult, s, pluginCounters, rollouts);
    }

    /** The release counter of the installed release of a plugin's component (0: none recorded). */
    long pluginCounter(String component) {
        return pluginCounters.getOrDefault(component, 0L);
    }

    PersistentState withPluginCounter(String component, long counter) {
        Map<String, Long> m = new TreeMap<>(pluginCounters);
        m.merge(component, counter, Math::max);
        return new PersistentState(releaseCounter, lastCheckAt, lastResult, failedVersions, m, rollouts);
    }

    /** How a failed plugin release is kept in {@code failedVersions}. */
    static String pluginRelease(String component, String version) {
        return component + "@" + version;
    }

    /** A {@link io.printmaster.agent.update.api.RunResult} as stored. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StoredResult(String runId, String state, String targetVersion, String errorCode, String errorMessage,
                        Instant finishedAt) {
    }

    /**
     * A rollout this agent updated through.
     *
     * @param rolloutId the server's rollout id ({@code rollout_id} of the offer)
     * @param fromVersion the version that ran when the install began: the only version a rollback of this rollout
     *     may take the agent back to
     * @param toVersion the version the rollout offered: the agent must run it for a rollback to apply
     * @param startedAt when the install began
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RolloutParticipation(String rolloutId, String fromVersion, String toVersion, Instant startedAt) {
    }
}
