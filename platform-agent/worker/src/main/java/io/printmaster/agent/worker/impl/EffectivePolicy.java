package io.printmaster.agent.worker.impl;

import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.core.policy.UpdatePolicy;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The policy the worker follows right now and where it comes from, as the agent's configuration reports it
 * ({@code AgentConfiguration}: the fleet policy while the last check-in succeeded, else the local policy, or
 * disabled). The worker and the local page read the same settings, so they never disagree about the source.
 *
 * @param source {@code fleet}, {@code local}, {@code local_fallback} or {@code disabled}
 * @param policy the policy in force; empty when {@code source} is {@code disabled}, and when the local policy is in
 *     force but there is none (the agent's {@code etc/local-policy.json} has been invalid since it started)
 * @param reason why this source, for the status page and the log
 */
public record EffectivePolicy(PolicySource source, Optional<UpdatePolicy> policy, String reason) {

    /** The error code of a run the policy refuses (docs/api.md, the telemetry route). */
    public static final String POLICY_DISABLED = "POLICY_DISABLED";

    public EffectivePolicy {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(reason, "reason");
        if (source == PolicySource.DISABLED && policy.isPresent()) {
            throw new IllegalArgumentException("a disabled source has no policy");
        }
    }

    /** Scheduled checks run: a policy is in force and its {@code update_check_days} is above 0. */
    public boolean scheduledChecks() {
        return policy.map(UpdatePolicy::updatesEnabled).orElse(false);
    }

    /**
     * Whether a triggered run ({@code check}, {@code force}, or a server command) may start. Refused, with
     * {@code skipped} and {@code POLICY_DISABLED}, when no policy is in force: mode {@code disabled}, or no usable
     * local policy. A policy with {@code update_check_days = 0} does not refuse a triggered run: it only turns the
     * schedule off, and the server offers nothing while it is 0.
     *
     * @return the result to report instead of running, empty when the run may start
     */
    public Optional<RunResult> refusal(String runId, Instant now) {
        if (policy.isPresent()) {
            return Optional.empty();
        }
        String message = source == PolicySource.DISABLED
                ? "automatic updates are disabled on this agent (mode = disabled); nothing was checked"
                : "no update policy is in force (" + reason + "); nothing was checked";
        return Optional.of(new RunResult(runId, RunState.SKIPPED, null, POLICY_DISABLED, message, now));
    }
}
