package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The answer to a telemetry report (200).
 *
 * @param stored how many transitions were stored
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TelemetryReceipt(@JsonProperty("stored") int stored) {
}
