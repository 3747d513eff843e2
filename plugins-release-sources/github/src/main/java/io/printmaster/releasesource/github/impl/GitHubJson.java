package io.printmaster.releasesource.github.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.api.release.Checksum;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Readers of single fields of GitHub's release JSON that tolerate what older or other GitHub versions send. */
final class GitHubJson {
    private GitHubJson() {
    }

    /** GitHub's {@code digest} field ({@code sha256:<hex>}, on assets uploaded since mid 2025). */
    static Optional<Checksum> digest(JsonNode digest) {
        String d = digest.asText("");
        if (!d.regionMatches(true, 0, "sha256:", 0, 7)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Checksum.sha256(d.substring(7)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** An ISO-8601 instant field ({@code published_at}); empty when absent or not one. */
    static Optional<Instant> instant(JsonNode n) {
        if (!n.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(n.asText()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
