package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.core.policy.UpdatePolicy;
import java.util.List;
import java.util.Optional;

/**
 * The local policy in force and what is wrong with {@code etc/local-policy.json}, if anything.
 *
 * @param policy the policy to follow when the local policy applies: the file's, the built-in defaults when there is
 *     no file, the last valid one while the file is broken, or empty when it has been broken since the start
 * @param errors the file's problems, with what the agent does meanwhile
 */
record LocalPolicy(Optional<UpdatePolicy> policy, List<ConfigError> errors) {
    LocalPolicy {
        errors = List.copyOf(errors);
    }

    /** No file: the defaults a new fleet gets on the server, so an unconfigured agent behaves like a new fleet's. */
    static LocalPolicy defaults() {
        return new LocalPolicy(Optional.of(UpdatePolicy.defaults()), List.of());
    }

    /**
     * The local policy after reading the file again.
     *
     * @param previous the policy in force before; a broken file keeps a valid policy read earlier from the file
     * @param previousFromFile whether {@code previous} came from the file (rather than the built-in defaults)
     */
    static LocalPolicy after(LocalPolicyFile.Reading reading, Optional<UpdatePolicy> previous, boolean previousFromFile) {
        if (!reading.present()) {
            return defaults();
        }
        if (reading.policy().isPresent()) {
            return new LocalPolicy(reading.policy(), List.of());
        }
        Optional<UpdatePolicy> kept = previousFromFile ? previous : Optional.empty();
        String meanwhile = kept.isPresent()
                ? " (the agent keeps the last valid local policy until the file is fixed)"
                : " (no local policy is in force, so updates under it are off until the file is fixed)";
        List<ConfigError> errors = reading.errors().stream()
                .map(e -> new ConfigError(e.field(), e.message() + meanwhile)).toList();
        return new LocalPolicy(kept, errors);
    }
}
