package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Several transitions in one request (what an agent buffered while offline): 1 to 100, all stored or none.
 *
 * @param events the transitions, oldest first
 */
public record TelemetryBatch(@JsonProperty("events") List<TelemetryEvent> events) {
}
