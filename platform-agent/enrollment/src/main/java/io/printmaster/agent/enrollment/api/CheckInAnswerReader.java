package io.printmaster.agent.enrollment.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.core.wire.CheckInAnswer;
import java.io.IOException;
import java.util.Optional;

/** Reads a check-in answer's JSON as the wire contract's record, tolerant of members a newer server adds. */
final class CheckInAnswerReader {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private CheckInAnswerReader() {
    }

    static Optional<CheckInAnswer> read(JsonNode answer) {
        try {
            return Optional.ofNullable(JSON.treeToValue(answer, CheckInAnswer.class));
        } catch (IOException | IllegalArgumentException e) {
            // a policy this agent cannot use (the enrollment falls back to the local one and says so) must not hide
            // the rest of the answer: its update offer and, above all, the admin's commands
            if (answer instanceof ObjectNode o && o.has("policy")) {
                ObjectNode withoutPolicy = o.deepCopy();
                withoutPolicy.remove("policy");
                try {
                    return Optional.ofNullable(JSON.treeToValue(withoutPolicy, CheckInAnswer.class));
                } catch (IOException | IllegalArgumentException again) {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }
    }
}
