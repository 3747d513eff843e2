package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentIdentityTest {
    @TempDir
    Path data;

    @Test
    void theIdIsCreatedOnceAndStaysTheSame() throws IOException {
        AgentIdentity.Result first = AgentIdentity.loadOrCreate(data);
        AgentIdentity.Result second = AgentIdentity.loadOrCreate(data);

        assertTrue(first.agentId().isPresent());
        UUID.fromString(first.agentId().get());
        assertEquals(first.agentId(), second.agentId());
        assertEquals(first.agentId().get(), Files.readString(data.resolve("agent-id")).trim());
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void aDamagedIdFileIsReportedNotReplaced() throws IOException {
        Files.writeString(data.resolve("agent-id"), "not-a-uuid\n");

        AgentIdentity.Result r = AgentIdentity.loadOrCreate(data);

        assertEquals(Optional.empty(), r.agentId());
        assertEquals("agent_id", r.error().orElseThrow().field());
        assertTrue(r.error().get().message().contains("not-a-uuid"));
        assertEquals("not-a-uuid\n", Files.readString(data.resolve("agent-id")), "the file is left for the operator");
    }

    @Test
    void anIdWrittenByHandIsAcceptedInCanonicalForm() throws IOException {
        Files.writeString(data.resolve("agent-id"), "  9F1C2A34-5B6D-4E7F-8091-A2B3C4D5E6F7 \n");

        assertEquals(Optional.of("9f1c2a34-5b6d-4e7f-8091-a2b3c4d5e6f7"), AgentIdentity.loadOrCreate(data).agentId());
    }
}
