package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <data>/selfupdate/hotswap.json}: a hot swap in progress ({@code run_id, from_version, to_version,
 * framework_uuid, started_at}) and, once the engine returned, its {@code outcome}. The swap may replace this bundle:
 * the revision that then starts (or the next process, after a crash) finishes the run from this file
 * ({@link TrialCompletion}).
 */
final class HotSwapMarker {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HotSwapMarker() {
    }

    static Path file(Path dataDir) {
        return dataDir.resolve("selfupdate").resolve("hotswap.json");
    }

    static void write(Path file, StagedRelease release, String frameworkUuid) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", release.runId());
        m.put("from_version", release.fromVersion());
        m.put("to_version", release.toVersion());
        m.put("framework_uuid", frameworkUuid);
        m.put("started_at", Instant.now().toString());
        DurableFiles.write(file, JSON.writeValueAsBytes(m));
    }

    static void finish(Path file, HotSwapApply.Result result) throws IOException {
        Map<String, Object> m = read(file).orElseGet(LinkedHashMap::new);
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("status", result.swapped() ? "succeeded" : "rolled_back");
        outcome.put("code", result.code());
        outcome.put("message", result.message());
        m.put("outcome", outcome);
        DurableFiles.write(file, JSON.writeValueAsBytes(m));
    }

    @SuppressWarnings("unchecked")
    static Optional<Map<String, Object>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(file.toFile(), LinkedHashMap.class));
    }
}
