package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/**
 * Reads the server's answers as records of the wire contract ({@code io.printmaster.core.wire}): members a newer
 * server adds are ignored, timestamps are ISO-8601 instants.
 */
final class WireReader {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private WireReader() {
    }

    static <T> T read(JsonNode body, Class<T> type) throws IOException {
        return JSON.treeToValue(body, type);
    }
}
