package io.printmaster.core.policy;

import java.util.Objects;

/**
 * One problem with a policy.
 *
 * @param field   the JSON path of the offending field, dotted and indexed as the wire names read:
 *                {@code maintenance_window.timezone}, {@code maintenance_window.days_of_week[2]}
 * @param message what is wrong and what is expected, for the admin to read
 */
public record Violation(String field, String message) {

    public Violation {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
