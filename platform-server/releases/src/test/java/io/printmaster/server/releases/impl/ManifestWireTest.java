package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.wire.ManifestBundle;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The signed manifest's bytes are pinned by golden files of the wire contract
 * ({@code bundles/core/src/test/resources/wire/manifest-*.json}): the exact canonical JSON the server signs for an
 * agent archive (with its bundles) and for a plugin jar (without), which the agent's tests read back.
 */
class ManifestWireTest {
    private static final Instant GENERATED = Instant.parse("2026-11-26T12:00:00Z");
    private static final Instant EXPIRES = Instant.parse("2026-12-26T12:00:00Z");

    @Test
    void anAgentArchivesManifestIsTheGoldenBytes() throws Exception {
        Artifact archive = new Artifact(7, "agent", "1.1.0", "linux", "amd64", "tar.gz", "stable", "9b".repeat(32),
                210000, "printmaster-agent-v1.1.0-linux-amd64.tar.gz", "github", "github",
                "https://github.com/printmaster/printmaster/releases/download/agent-v1.1.0/printmaster-agent-v1.1.0-linux-amd64.tar.gz",
                "notes", Instant.parse("2026-11-01T10:00:00.500Z"), GENERATED);
        AgentContents.HotSwapFields hotSwap = new AgentContents.HotSwapFields(List.of(
                new ManifestBundle("bundle/io.printmaster.agent.worker-1.1.0.jar", "5d".repeat(32), 48211L,
                        "io.printmaster.agent.worker", "1.1.0"),
                new ManifestBundle("bundle/io.printmaster.core-1.1.0.jar", "6e".repeat(32), 30007L,
                        "io.printmaster.core", "1.1.0")), "a7".repeat(32), false);
        byte[] bytes = ManifestService.manifestBytes(archive, 2, GENERATED, EXPIRES, "4f2a9c0d8e7b6a51",
                Optional.of(hotSwap));
        assertEquals(golden("manifest-agent-archive.json"), new String(bytes, StandardCharsets.UTF_8));
        ReleaseManifest read = new ObjectMapper().readValue(bytes, ReleaseManifest.class);
        assertEquals(hotSwap.bundles(), read.bundles());
        assertEquals("2026-11-01T10:00:00Z", read.publishedAt(), "seconds, as documented");
    }

    @Test
    void aRollbackManifestIsTheGoldenBytesWithDowngradeAndRolloutIdInTheirSortedPlaces() throws Exception {
        Artifact archive = new Artifact(7, "agent", "1.1.0", "linux", "amd64", "tar.gz", "stable", "9b".repeat(32),
                210000, "printmaster-agent-v1.1.0-linux-amd64.tar.gz", "github", "github",
                "https://github.com/printmaster/printmaster/releases/download/agent-v1.1.0/printmaster-agent-v1.1.0-linux-amd64.tar.gz",
                "notes", Instant.parse("2026-11-01T10:00:00.500Z"), GENERATED);
        AgentContents.HotSwapFields hotSwap = new AgentContents.HotSwapFields(List.of(
                new ManifestBundle("bundle/io.printmaster.agent.worker-1.1.0.jar", "5d".repeat(32), 48211L,
                        "io.printmaster.agent.worker", "1.1.0"),
                new ManifestBundle("bundle/io.printmaster.core-1.1.0.jar", "6e".repeat(32), 30007L,
                        "io.printmaster.core", "1.1.0")), "a7".repeat(32), false);
        byte[] bytes = ManifestService.manifestBytes(archive, 2, GENERATED, EXPIRES, "4f2a9c0d8e7b6a51",
                Optional.of(hotSwap), "rol_01HF8Z");
        // canonical order: "downgrade" right after "component", "rollout_id" between "restart_required" and "runtime_sha256"
        String expected = golden("manifest-agent-archive.json")
                .replace("\"component\":\"agent\",", "\"component\":\"agent\",\"downgrade\":true,")
                .replace("\"restart_required\":false,", "\"restart_required\":false,\"rollout_id\":\"rol_01HF8Z\",");
        assertEquals(expected, new String(bytes, StandardCharsets.UTF_8));
        ReleaseManifest read = new ObjectMapper().readValue(bytes, ReleaseManifest.class);
        assertEquals(true, read.isDowngrade());
        assertEquals("rol_01HF8Z", read.rolloutId());
    }

    @Test
    void aPluginJarsManifestHasNoHotSwapMembers() throws Exception {
        Artifact jar = new Artifact(8, "acme-label", "2.0.0", "any", "any", "jar", "stable", "1c".repeat(32), 9001,
                "printmaster-acme-label-v2.0.0.jar", "vendor", "http-feed", "https://vendor.example/acme-label-2.0.0.jar",
                null, null, GENERATED);
        byte[] bytes = ManifestService.manifestBytes(jar, 5, GENERATED, EXPIRES, "4f2a9c0d8e7b6a51");
        assertEquals(golden("manifest-plugin.json"), new String(bytes, StandardCharsets.UTF_8));
        ReleaseManifest read = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(bytes, ReleaseManifest.class);
        assertEquals(List.of(), read.bundles());
        assertEquals(null, read.restartRequired());
    }

    private static String golden(String name) throws Exception {
        Path dir = Path.of("").toAbsolutePath().resolve("../../bundles/core/src/test/resources/wire").normalize();
        return Files.readString(dir.resolve(name)).strip();
    }
}
