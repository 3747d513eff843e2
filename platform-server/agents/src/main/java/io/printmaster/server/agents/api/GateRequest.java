package io.printmaster.server.agents.api;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the check-in being answered asks of the {@link UpdateGate}.
 *
 * @param agent             the agent, as it reports itself in this check-in
 * @param component         the component to update ({@code agent})
 * @param policyVersion     the version the fleet's effective policy selects for this agent among
 *                          {@code availableVersions}, or null when it selects none (or updates are off)
 * @param availableVersions the versions with a cached, signed artifact for the agent's platform, arch and format
 * @param runId             the update run this check-in belongs to ({@code run_id}), or null for a plain check-in
 * @param forced            the run follows an administrator's "Update now" for this agent (a {@code force_update}
 *                          command delivered within {@link #FORCED_WINDOW}): the rollout's waves and a pause do not
 *                          hold it back, its approval, an abort and its slot cap still do
 * @since 1.2
 */
public record GateRequest(AgentSnapshot agent, String component, String policyVersion, Set<String> availableVersions,
                          String runId, boolean forced) {

    /** How long after its delivery an "Update now" makes the agent's update run a forced one. */
    public static final java.time.Duration FORCED_WINDOW = java.time.Duration.ofMinutes(15);

    /** A request of a run that no administrator forced. */
    public GateRequest(AgentSnapshot agent, String component, String policyVersion, Set<String> availableVersions,
                       String runId) {
        this(agent, component, policyVersion, availableVersions, runId, false);
    }

    public GateRequest {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(component, "component");
        availableVersions = Set.copyOf(availableVersions);
    }

    public Optional<String> run() {
        return Optional.ofNullable(runId);
    }
}
