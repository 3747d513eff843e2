package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The release counter the installer carried ({@code <home>/etc/release.json}, written by the server with the
 * installer: {@code {"component":"agent","version","release_counter"}}). It is the floor of the agent's replay
 * counter: without it a fresh agent would start at 0 and accept any older release that is still signed. Read
 * fail-closed: a file that is there but cannot be read refuses updates rather than dropping the floor.
 */
final class InstallerReleaseFloor {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final long MAX_BYTES = 64 * 1024;

    private InstallerReleaseFloor() {
    }

    /**
     * @return the installer's release counter; 0 when there is no such file (an installer older than the file)
     * @throws UpdateFailure {@code MANIFEST_ERROR} when the file exists but is not a release file of the agent
     */
    static long read(Path file) throws UpdateFailure {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw unusable(file, "it is larger than " + MAX_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw unusable(file, e.toString());
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw unusable(file, "it is not valid JSON");
        }
        if (root == null || !root.isObject() || !"agent".equals(root.path("component").asText())) {
            throw unusable(file, "it is not an object with \"component\":\"agent\"");
        }
        JsonNode counter = root.get("release_counter");
        if (counter == null || !counter.isIntegralNumber() || counter.asLong() < 0) {
            throw unusable(file, "release_counter is not a whole number of at least 0");
        }
        return counter.asLong();
    }

    private static UpdateFailure unusable(Path file, String why) {
        return new UpdateFailure("MANIFEST_ERROR", file + " (the installer's release counter) cannot be used: " + why
                + "; reinstall the agent from an installer the server built");
    }
}
