package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Decides which update policy the worker follows, from the override mode ({@code mode} in
 * {@code etc/io.printmaster.agent.cfg}), the last check-in with the server and the local policy. Stateless and
 * thread-safe; call it before each scheduling decision, since every input can change at any time.
 *
 * <h2>Rules</h2>
 * <ul>
 * <li>{@code mode = disabled}: source {@code disabled}, no policy: no scheduled checks, and triggered runs end
 * {@code skipped} with {@code POLICY_DISABLED} ({@link EffectivePolicy#refusal}).</li>
 * <li>{@code mode = local}: source {@code local}, the local policy, whatever the server says.</li>
 * <li>{@code mode = inherit}: source {@code fleet} with the {@code policy} of the last check-in when that check-in
 * <em>succeeded</em> (HTTP 200) and carried a valid policy ({@link PolicyValidator}). Otherwise source
 * {@code local_fallback} with the local policy: before the first check-in, when the last one did not reach the
 * server (status 0), when the server refused or failed it (401 while re-enrolling, 5xx, …), or when its policy was
 * missing or invalid.</li>
 * </ul>
 *
 * <h2>"Postponing until it returns"</h2>
 * The fleet policy is only as good as the last check-in: there is no stale fleet policy. As soon as a check-in fails
 * the agent follows its local schedule and window ({@code local_fallback}); the fleet policy it held is not used again
 * until a later check-in succeeds, and then the one from that check-in applies (it may have changed meanwhile).
 * Since updates only come from the server, a check the local schedule makes due while the server is unreachable
 * cannot find anything: it is postponed, retried at the backoff cadence ({@link CheckSchedule#retryWhileUnreachable})
 * and never later than the local schedule's next check, until the server answers.
 *
 * <p>A local policy that is empty (the file has been invalid since the agent started) means no policy in force: no
 * scheduled checks and triggered runs refused with {@code POLICY_DISABLED}, like {@code disabled}, but the source
 * stays {@code local} or {@code local_fallback} so the status page shows which file to fix.
 */
public final class EffectivePolicyResolver {

    /** Tolerant of fields a newer server adds to the policy: they do not make the whole fleet policy unusable. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EffectivePolicyResolver() {
    }

    /**
     * @param mode the override mode in force
     * @param lastCheckIn the last check-in attempt, successful or not; empty before the first one
     * @param localPolicy the local policy (from {@code etc/local-policy.json}, or the built-in defaults); empty when
     *     none is usable
     */
    public static EffectivePolicy resolve(Mode mode, Optional<CheckIn> lastCheckIn, Optional<UpdatePolicy> localPolicy) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(lastCheckIn, "lastCheckIn");
        Objects.requireNonNull(localPolicy, "localPolicy");
        return switch (mode) {
            case DISABLED -> new EffectivePolicy(PolicySource.DISABLED, Optional.empty(), "mode = disabled");
            case LOCAL -> new EffectivePolicy(PolicySource.LOCAL, localPolicy, local("mode = local", localPolicy));
            case INHERIT -> inherit(lastCheckIn, localPolicy);
        };
    }

    private static EffectivePolicy inherit(Optional<CheckIn> lastCheckIn, Optional<UpdatePolicy> localPolicy) {
        String why;
        if (lastCheckIn.isEmpty()) {
            why = "no check-in with the server yet";
        } else if (!lastCheckIn.get().serverReached()) {
            why = "the server was unreachable at the last check-in (" + problem(lastCheckIn.get()) + ")";
        } else if (!lastCheckIn.get().succeeded()) {
            why = "the last check-in failed (" + problem(lastCheckIn.get()) + ")";
        } else {
            PolicyOrProblem fleet = fleetPolicyOf(lastCheckIn.get().answer().orElse(null));
            if (fleet.policy != null) {
                return new EffectivePolicy(PolicySource.FLEET, Optional.of(fleet.policy),
                        "the fleet policy from the check-in at " + lastCheckIn.get().at());
            }
            why = "the server's fleet policy is unusable: " + fleet.problem;
        }
        return new EffectivePolicy(PolicySource.LOCAL_FALLBACK, localPolicy,
                local("mode = inherit, but " + why + "; the local schedule applies until a check-in succeeds",
                        localPolicy));
    }

    private static String local(String why, Optional<UpdatePolicy> localPolicy) {
        return localPolicy.isPresent() ? why : why + "; no valid local policy (etc/local-policy.json)";
    }

    private static String problem(CheckIn c) {
        return c.problem().orElse(c.serverReached() ? "HTTP " + c.status() : "no answer");
    }

    private record PolicyOrProblem(UpdatePolicy policy, String problem) {
    }

    private static PolicyOrProblem fleetPolicyOf(JsonNode answer) {
        JsonNode p = answer == null ? null : answer.get("policy");
        if (p == null || !p.isObject()) {
            return new PolicyOrProblem(null, "the check-in answer has no policy");
        }
        UpdatePolicy policy;
        try {
            policy = JSON.treeToValue(p, UpdatePolicy.class);
        } catch (IOException | IllegalArgumentException e) {
            return new PolicyOrProblem(null, e.getMessage());
        }
        List<Violation> violations = PolicyValidator.validate(policy);
        if (!violations.isEmpty()) {
            return new PolicyOrProblem(null,
                    violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        }
        return new PolicyOrProblem(policy, null);
    }
}
