package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <data>/selfupdate/handover.json}, what a restart-mode apply hands to the next start: {@code run_id,
 * from_version, to_version, mode, backup {kind, path[, database]}, created_at, phase}; the server launcher adds
 * {@code phase: booted} when the new version starts (from then on a rollback restores the backup), the new version or
 * the launcher's watchdog {@code outcome {code, message}} when the trial fails, the old version's launcher
 * {@code restored_at}. Always written whole and atomically ({@link DurableFiles}); the launcher reads it without
 * Jackson, so it holds only objects, strings and null.
 */
final class Handover {
    static final String RELATIVE_PATH = "selfupdate/handover.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Handover() {
    }

    static Path file(Path dataDir) {
        return dataDir.resolve(RELATIVE_PATH);
    }

    static Map<String, Object> prepared(StagedRelease release, DatabaseBackup.Taken backup) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("run_id", release.runId());
        h.put("from_version", release.fromVersion());
        h.put("to_version", release.toVersion());
        h.put("mode", ServerReleaseApplier.RESTART);
        h.put("backup", backup.toJson());
        h.put("created_at", Instant.now().toString());
        h.put("phase", "prepared");
        return h;
    }

    static Optional<Map<String, Object>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { }));
    }

    static void write(Path file, Map<String, Object> handover) throws IOException {
        DurableFiles.write(file, JSON.writeValueAsBytes(handover));
    }

    static String text(Map<String, Object> h, String key) {
        Object v = h.get(key);
        return v == null ? null : v.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> h, String key) {
        Object v = h.get(key);
        return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }
}
