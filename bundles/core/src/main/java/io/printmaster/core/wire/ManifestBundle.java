package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One {@code bundle/*.jar} of an agent archive, as its signed manifest lists it (for hot swaps).
 *
 * @param path         the entry's path below the archive's top folder ({@code bundle/…jar})
 * @param sha256       the jar's SHA-256 (hex)
 * @param sizeBytes    the jar's size
 * @param symbolicName its {@code Bundle-SymbolicName} without directives
 * @param version      its {@code Bundle-Version} as written ({@code 0.0.0} when it has none)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ManifestBundle(
        @JsonProperty("path") String path,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("size_bytes") Long sizeBytes,
        @JsonProperty("symbolic_name") String symbolicName,
        @JsonProperty("version") String version) {
}
