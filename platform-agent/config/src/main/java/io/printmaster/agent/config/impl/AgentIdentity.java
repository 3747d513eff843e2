package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * This agent's stable id: a random UUID written once to {@code <data>/agent-id} and read back at every start. The
 * server knows the agent by it, so an unreadable file is reported, never silently replaced by a new identity.
 */
final class AgentIdentity {
    static final String FILE_NAME = "agent-id";

    /** The id, or the error explaining why there is none. */
    record Result(Optional<String> agentId, Optional<ConfigError> error) {
    }

    private AgentIdentity() {
    }

    static Result loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (Files.exists(file)) {
                return read(file);
            }
            String id = UUID.randomUUID().toString();
            AtomicFiles.write(file, (id + "\n").getBytes(StandardCharsets.UTF_8));
            return new Result(Optional.of(id), Optional.empty());
        } catch (IOException e) {
            return new Result(Optional.empty(), Optional.of(new ConfigError("agent_id",
                    "cannot read or create " + file + ": " + e)));
        }
    }

    private static Result read(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
            UUID uuid = UUID.fromString(content);
            // UUID.fromString accepts short forms such as 1-2-3-4-5; only the canonical form is an id we wrote
            if (uuid.toString().equalsIgnoreCase(content)) {
                return new Result(Optional.of(uuid.toString()), Optional.empty());
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        String shown = content.length() > 40 ? content.substring(0, 40) + "…" : content;
        return new Result(Optional.empty(), Optional.of(new ConfigError("agent_id", file + " holds '" + shown
                + "', not a UUID; the agent has no id (and will not enroll) until the file is fixed, "
                + "or deleted to make a new id")));
    }
}
