package io.printmaster.server.fleets.api;

import java.time.Instant;

/**
 * A group of agents that share an update policy and installers.
 *
 * @param id stable identifier used in URLs and agent configuration: lowercase letters, digits and dashes
 */
public record Fleet(String id, String name, String description, Instant createdAt, Instant updatedAt) {
}
