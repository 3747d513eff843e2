package io.printmaster.store;

import java.util.List;
import java.util.Objects;

/**
 * One schema step of a module: version {@code n} runs once, after {@code n-1}. Statements are plain SQL.
 *
 * @param version 1, 2, 3… without gaps
 * @param description what the step does, kept in the version table
 * @param statements SQL statements run in order in one transaction
 */
public record Migration(int version, String description, List<String> statements) {
    public Migration {
        if (version < 1) {
            throw new IllegalArgumentException("migration versions start at 1, was " + version);
        }
        Objects.requireNonNull(description, "description");
        statements = List.copyOf(statements);
    }
}
