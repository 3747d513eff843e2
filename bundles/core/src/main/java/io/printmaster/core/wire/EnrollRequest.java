package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The body of {@code POST /api/v1/agents/enroll}: a join token exchanged for a credential, and the facts the server
 * files the agent under.
 *
 * @param joinToken      the fleet's join token ({@code pmj_…}); a secret, never in {@link #toString()}
 * @param hostname       the machine's name
 * @param platform       {@code linux}, {@code windows} or {@code darwin}
 * @param arch           {@code amd64} or {@code arm64}
 * @param currentVersion the agent version it runs
 */
public record EnrollRequest(
        @JsonProperty("join_token") String joinToken,
        @JsonProperty("hostname") String hostname,
        @JsonProperty("platform") String platform,
        @JsonProperty("arch") String arch,
        @JsonProperty("current_version") String currentVersion) {

    @Override
    public String toString() {
        return "EnrollRequest[hostname=" + hostname + ", platform=" + platform + ", arch=" + arch
                + ", current_version=" + currentVersion + "]";
    }
}
