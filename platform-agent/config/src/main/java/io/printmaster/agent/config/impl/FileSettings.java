package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * What {@code etc/io.printmaster.agent.cfg} says, after validation: every unusable value is replaced by its safe
 * default and reported in {@code errors}.
 */
record FileSettings(Optional<URI> serverUrl, Optional<String> fleet, Optional<String> joinToken, Mode mode,
                    boolean allowLocalOverride, boolean allowInsecureHttp, List<ConfigError> errors) {

    FileSettings {
        errors = List.copyOf(errors);
    }

    /** No file at all: an unconfigured agent following its local schedule. */
    static FileSettings none() {
        return new FileSettings(Optional.empty(), Optional.empty(), Optional.empty(), Mode.INHERIT, false, false, List.of());
    }

    @Override
    public String toString() {
        return "server_url=" + serverUrl.map(URI::toString).orElse("(not set)") + ", fleet=" + fleet.orElse("(not set)")
                + ", join_token=" + (joinToken.isPresent() ? "(set)" : "(not set)") + ", mode=" + mode.wireName()
                + ", allow_local_override=" + allowLocalOverride + ", allow_insecure_http=" + allowInsecureHttp;
    }
}
