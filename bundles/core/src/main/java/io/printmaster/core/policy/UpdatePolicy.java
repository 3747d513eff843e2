package io.printmaster.core.policy;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.api.version.VersionSelector;
import java.util.Optional;

/**
 * How a fleet updates: how often agents check, which versions they may move to, when, and how fast the fleet rolls
 * out. The JSON form uses the wire names below on any Jackson mapper (every component carries its explicit
 * {@link JsonProperty} name, so naming strategies do not matter):
 *
 * <pre>{@code
 * {
 *   "update_check_days": 7,
 *   "version_pin_strategy": "minor",
 *   "allow_major_upgrade": false,
 *   "target_version": null,
 *   "collect_telemetry": true,
 *   "maintenance_window": { "enabled": false, "start_hour": 2, "start_min": 0, "end_hour": 4, "end_min": 0,
 *                           "timezone": "UTC", "days_of_week": [0, 1, 2, 3, 4, 5, 6] },
 *   "rollout_control": { "staggered": false, "max_concurrent": 10, "batch_size": 50,
 *                        "delay_between_waves": 1800, "jitter_seconds": 300, "emergency_abort": false },
 *   "require_approval": false
 * }
 * }</pre>
 *
 * <h2>Strict documents</h2>
 * A policy is always written whole (PUT replaces it): <b>every field is required</b> except {@code target_version},
 * which may be absent or {@code null} (no explicit target), and {@code require_approval} (added in 1.1), which is
 * {@code false} when absent so that clients written before it keep working. A missing field is an error rather than a silent
 * default, so a client never resets a setting it did not know about by accident. Structure is checked on
 * construction (no {@code null} nested objects, lists or strings); values (ranges, time zones, versions) are checked
 * by {@link PolicyValidator}, which reports every problem with its field path at once. Records hold what was sent;
 * validate before use.
 *
 * @param updateCheckDays    days between update checks: 0 disables automatic updates, otherwise 1 to 365
 * @param versionPinStrategy {@code major}, {@code minor} or {@code patch} (see {@link PinStrategy})
 * @param allowMajorUpgrade  whether automatic updates may move to a new major version (widens {@code major} only)
 * @param targetVersion      an explicit version to run (wins over the pin), or {@code null}
 * @param collectTelemetry   whether agents report update telemetry
 * @param maintenanceWindow  when updates may be applied
 * @param rolloutControl     how fast the fleet is updated
 * @param requireApproval    whether a rollout the server creates for this fleet from the policy (a new release
 *                           entered the pin) waits for an administrator's approval ({@code awaiting_approval}) instead
 *                           of starting; since 1.1
 */
public record UpdatePolicy(
        @JsonProperty(value = "update_check_days", required = true) int updateCheckDays,
        @JsonProperty(value = "version_pin_strategy", required = true) String versionPinStrategy,
        @JsonProperty(value = "allow_major_upgrade", required = true) boolean allowMajorUpgrade,
        @JsonProperty(value = "target_version") String targetVersion,
        @JsonProperty(value = "collect_telemetry", required = true) boolean collectTelemetry,
        @JsonProperty(value = "maintenance_window", required = true) MaintenanceWindowSettings maintenanceWindow,
        @JsonProperty(value = "rollout_control", required = true) RolloutControl rolloutControl,
        @JsonProperty(value = "require_approval") Boolean requireApproval) {

    /** A policy without {@code require_approval} (1.0's members): rollouts from it start without approval. */
    public UpdatePolicy(int updateCheckDays, String versionPinStrategy, boolean allowMajorUpgrade, String targetVersion,
                        boolean collectTelemetry, MaintenanceWindowSettings maintenanceWindow,
                        RolloutControl rolloutControl) {
        this(updateCheckDays, versionPinStrategy, allowMajorUpgrade, targetVersion, collectTelemetry, maintenanceWindow,
                rolloutControl, false);
    }

    /**
     * @throws IllegalArgumentException when {@code version_pin_strategy}, {@code maintenance_window} or
     *                                  {@code rollout_control} is null
     */
    public UpdatePolicy {
        Structure.require(versionPinStrategy, "version_pin_strategy");
        Structure.require(maintenanceWindow, "maintenance_window");
        Structure.require(rolloutControl, "rollout_control");
        requireApproval = Boolean.TRUE.equals(requireApproval); // absent (an older client) is false
    }

    /**
     * Whether rollouts created from this policy wait for approval; never null.
     *
     * @since 1.1
     */
    public boolean approvalRequired() {
        return requireApproval;
    }

    /**
     * The policy of a new fleet: weekly checks, stay on the installed minor line, no major upgrades, no target,
     * telemetry on, no maintenance window (prefilled 02:00–04:00 UTC every day for when it is enabled), rollout not
     * staggered, no approval required.
     */
    public static UpdatePolicy defaults() {
        return new UpdatePolicy(7, PinStrategy.MINOR.wireName(), false, null, true,
                MaintenanceWindowSettings.defaults(), RolloutControl.defaults());
    }

    /**
     * The pin strategy as a type.
     *
     * @throws IllegalArgumentException when {@code version_pin_strategy} is not valid (see {@link PolicyValidator})
     */
    public PinStrategy pinStrategy() {
        return PinStrategy.fromWireName(versionPinStrategy);
    }

    /**
     * The explicit target as a version; empty when there is none.
     *
     * @throws IllegalArgumentException when {@code target_version} is not a semantic version
     */
    public Optional<SemanticVersion> target() {
        return targetVersion == null ? Optional.empty() : Optional.of(SemanticVersion.parse(targetVersion));
    }

    /** True when automatic update checks are on ({@code update_check_days > 0}). */
    public boolean updatesEnabled() {
        return updateCheckDays > 0;
    }

    /**
     * The version selector of this policy (pin strategy, major upgrades, target); pre-releases are the caller's
     * choice (the channel the fleet follows).
     *
     * @throws IllegalArgumentException when the policy is not valid
     */
    public VersionSelector versionSelector() {
        return VersionSelector.of(pinStrategy()).allowMajorUpgrade(allowMajorUpgrade).target(target().orElse(null));
    }
}
