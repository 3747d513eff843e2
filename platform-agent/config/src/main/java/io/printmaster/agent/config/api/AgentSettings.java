package io.printmaster.agent.config.api;

import io.printmaster.core.policy.UpdatePolicy;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One consistent snapshot of the agent's effective settings.
 *
 * @param agentId this agent's stable id (a UUID kept in {@code <data>/agent-id}); empty only when that file is
 *     unusable, which is then one of the {@code errors}
 * @param serverUrl the update server, {@code http} or {@code https}, without a trailing slash
 * @param fleet the fleet this agent joins
 * @param joinToken the secret that enrolls this agent; never log it or show it, show {@link #joinTokenSet()}
 * @param mode the override mode in force (an invalid mode in the file counts as {@link Mode#DISABLED})
 * @param allowLocalOverride whether the local page may change settings; false means read-only
 * @param policySource where the policy in force comes from
 * @param policy the policy in force; empty when updates are disabled, or when the local policy is in force but
 *     {@code etc/local-policy.json} has been invalid since the agent started (see {@code errors})
 * @param errors every value that could not be used, in file order; empty when all is well
 * @param allowInsecureHttp {@code allow_insecure_http}: plain {@code http://} to a server that is not on loopback is
 *     acceptable (off by default: the agent refuses it, io.printmaster.core.net.PlainHttpRule); since 1.1
 */
public record AgentSettings(Optional<String> agentId, Optional<URI> serverUrl, Optional<String> fleet,
                            Optional<String> joinToken, Mode mode, boolean allowLocalOverride,
                            PolicySource policySource, Optional<UpdatePolicy> policy, List<ConfigError> errors,
                            boolean allowInsecureHttp) {

    /** Settings without {@code allow_insecure_http} (false): the 1.0 constructor. */
    public AgentSettings(Optional<String> agentId, Optional<URI> serverUrl, Optional<String> fleet,
                         Optional<String> joinToken, Mode mode, boolean allowLocalOverride,
                         PolicySource policySource, Optional<UpdatePolicy> policy, List<ConfigError> errors) {
        this(agentId, serverUrl, fleet, joinToken, mode, allowLocalOverride, policySource, policy, errors, false);
    }

    public AgentSettings {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(serverUrl, "serverUrl");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(joinToken, "joinToken");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(policySource, "policySource");
        Objects.requireNonNull(policy, "policy");
        errors = List.copyOf(errors);
    }

    public boolean joinTokenSet() {
        return joinToken.isPresent();
    }

    /** True when the agent knows where its server is and how to enroll: a server URL and a join token. */
    public boolean configured() {
        return serverUrl.isPresent() && joinToken.isPresent();
    }

    /**
     * Automatic updates may run: a policy is in force and it checks for updates ({@code update_check_days > 0}).
     */
    public boolean updatesEnabled() {
        return policy.map(UpdatePolicy::updatesEnabled).orElse(false);
    }

    /** Never shows the join token: settings end up in logs. */
    @Override
    public String toString() {
        return "AgentSettings[agentId=" + agentId.orElse("?") + ", serverUrl=" + serverUrl.map(URI::toString).orElse("")
                + ", fleet=" + fleet.orElse("") + ", joinToken=" + (joinTokenSet() ? "(set)" : "(not set)")
                + ", mode=" + mode.wireName() + ", allowLocalOverride=" + allowLocalOverride
                + ", policySource=" + policySource.wireName() + ", policy=" + policy.map(Object::toString).orElse("none")
                + ", errors=" + errors + (allowInsecureHttp ? ", allowInsecureHttp=true" : "") + "]";
    }
}
