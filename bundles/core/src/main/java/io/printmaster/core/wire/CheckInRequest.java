package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The body of {@code POST /api/v1/agents/update/manifest}, an agent's check-in.
 *
 * @param currentVersion the agent version it runs
 * @param platform       {@code linux}, {@code windows} or {@code darwin}
 * @param arch           {@code amd64} or {@code arm64}
 * @param hostname       the machine's name
 * @param nextCheckAt    when it will check for updates next (ISO-8601 instant); absent when it does not say
 * @param plugins        the vendor plugins it runs; absent (not an empty list) when it runs none, because a server
 *                       older than plugin delivery refuses the member
 * @param trustVersion   the {@link TrustStatement#sequence()} of the newest trust statement the agent holds; absent
 *                       (null) means 0, and an agent leaves it out while it is 0 (a server older than trust statements
 *                       refuses the member); since 1.1
 * @param runId          the update run this check-in belongs to (the worker's {@code run_id}, as in its telemetry):
 *                       only such a check-in may take a rollout slot, which the run's terminal status frees; absent
 *                       for the enrollment loop's periodic check-ins; since 1.2
 * @param known          the etags of the policy and update offer the agent holds from an earlier answer; absent when
 *                       it holds none (and always from agents older than 1.4: they get full answers); since 1.4
 */
public record CheckInRequest(
        @JsonProperty("current_version") String currentVersion,
        @JsonProperty("platform") String platform,
        @JsonProperty("arch") String arch,
        @JsonProperty("hostname") String hostname,
        @JsonProperty("next_check_at") @JsonInclude(JsonInclude.Include.NON_NULL) String nextCheckAt,
        @JsonProperty("plugins") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<PluginVersion> plugins,
        @JsonProperty("trust_version") @JsonInclude(JsonInclude.Include.NON_NULL) Long trustVersion,
        @JsonProperty("run_id") @JsonInclude(JsonInclude.Include.NON_NULL) String runId,
        @JsonProperty("known") @JsonInclude(JsonInclude.Include.NON_NULL) KnownEtags known) {

    /** A check-in that holds nothing to compare (1.3's members). */
    public CheckInRequest(String currentVersion, String platform, String arch, String hostname, String nextCheckAt,
                          List<PluginVersion> plugins, Long trustVersion, String runId) {
        this(currentVersion, platform, arch, hostname, nextCheckAt, plugins, trustVersion, runId, null);
    }

    /** A check-in outside an update run (1.1's members). */
    public CheckInRequest(String currentVersion, String platform, String arch, String hostname, String nextCheckAt,
                          List<PluginVersion> plugins, Long trustVersion) {
        this(currentVersion, platform, arch, hostname, nextCheckAt, plugins, trustVersion, null, null);
    }

    /** A check-in of an agent that holds no trust statement (1.0's members). */
    public CheckInRequest(String currentVersion, String platform, String arch, String hostname, String nextCheckAt,
                          List<PluginVersion> plugins) {
        this(currentVersion, platform, arch, hostname, nextCheckAt, plugins, null, null, null);
    }

    /**
     * The same request with {@code known} etags.
     *
     * @since 1.4
     */
    public CheckInRequest withKnown(KnownEtags etags) {
        return new CheckInRequest(currentVersion, platform, arch, hostname, nextCheckAt, plugins, trustVersion, runId,
                etags);
    }

    /** {@link #trustVersion()} with absent read as 0. */
    public long heldTrustVersion() {
        return trustVersion == null ? 0 : trustVersion;
    }
}
