package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record PersistentState(long releaseCounter, Instant lastCheckAt, StoredResult lastResult, Set<String> failedVersions,
                       Map<String, Long> pluginCounters) {
    static final PersistentState EMPTY = new PersistentState(0, null, null, Set.of(), Map.of());

    PersistentState {
        failedVersions = failedVersions == null ? Set.of() : Set.copyOf(new TreeSet<>(failedVersions));
        pluginCounters = pluginCounters == null ? Map.of() : Map.copyOf(pluginCounters);
    }

    PersistentState withCounter(long counter) {
        return new PersistentState(Math.max(releaseCounter, counter), lastCheckAt, lastResult, failedVersions,
                pluginCounters);
    }

    PersistentState withLastCheck(Instant at) {
        return new PersistentState(releaseCounter, at, lastResult, failedVersions, pluginCounters);
    }

    PersistentState withResult(StoredResult result) {
        return new PersistentState(releaseCounter, lastCheckAt, result, failedVersions, pluginCounters);
    }

    PersistentState withFailed(String version) {
        Set<String> s = new TreeSet<>(failedVersions);
        s.add(version);
        return new PersistentState(releaseCounter, lastCheckAt, lastResult, s, pluginCounters);
    }

    /** The release counter of the installed release of a plugin's component (0: none recorded). */
    long pluginCounter(String component) {
        return pluginCounters.getOrDefault(component, 0L);
    }

    PersistentState withPluginCounter(String component, long counter) {
        Map<String, Long> m = new TreeMap<>(pluginCounters);
        m.merge(component, counter, Math::max);
        return new PersistentState(releaseCounter, lastCheckAt, lastResult, failedVersions, m);
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
}
