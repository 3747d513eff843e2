package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's own files in {@code <data>/update/}: the run marker ({@code run.json}) and what must survive restarts
 * ({@code state.json}: the installed release counter, the last check, the last result, versions that failed their
 * health check). Both are small JSON documents written atomically; an unreadable file is logged and treated as
 * absent, never as permission to skip a check (the release counter then starts from what the manifest says is
 * installed, which is at least as strict as the file would have been for a fresh install).
 */
final class WorkerFiles {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerFiles.class);
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;

    WorkerFiles(Path updateDir) {
        this.dir = updateDir;
    }

    Path markerFile() {
        return dir.resolve("run.json");
    }

    Path stateFile() {
        return dir.resolve("state.json");
    }

    Optional<RunMarker> marker() {
        return read(markerFile(), RunMarker.class);
    }

    void saveMarker(RunMarker marker) throws IOException {
        write(markerFile(), marker);
    }

    void clearMarker() throws IOException {
        Files.deleteIfExists(markerFile());
    }

    PersistentState state() {
        return read(stateFile(), PersistentState.class).orElse(PersistentState.EMPTY);
    }

    void saveState(PersistentState state) throws IOException {
        write(stateFile(), state);
    }

    private <T> Optional<T> read(Path file, Class<T> type) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readValue(file.toFile(), type));
        } catch (IOException | RuntimeException e) {
            LOG.error("{} cannot be read ({}); ignoring it", file, e.getMessage());
            return Optional.empty();
        }
    }

    private void write(Path file, Object value) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
    }
}
