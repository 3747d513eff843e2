package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A vendor plugin an agent runs, as it reports it at check-in.
 *
 * @param component the plugin's {@code PrintMaster-Component}
 * @param version   its version
 */
public record PluginVersion(
        @JsonProperty("component") String component,
        @JsonProperty("version") String version) {
}
