package io.printmaster.agent.enrollment.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import io.printmaster.core.wire.CheckInAnswer;
import java.util.Objects;
import java.util.Optional;

/**
 * One check-in attempt ({@code POST /api/v1/agents/update/manifest}).
 *
 * @param at when it was made
 * @param status the HTTP status the server answered, or 0 when the server could not be reached
 * @param answer the server's JSON answer (the agent and fleet ids, {@code update_available}, the fleet policy and
 *     its source; issue 5 adds the update manifest) when it answered 200; read-only by convention
 * @param problem what went wrong, for the operator, when the check-in did not succeed; never holds a secret
 */
public record CheckIn(Instant at, int status, Optional<JsonNode> answer, Optional<String> problem) {
    public CheckIn {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(problem, "problem");
    }

    /**
     * The answer as the wire contract's record; empty when there is no answer or it does not have that shape (a
     * newer server's added members are ignored). Prefer this to {@link #answer()}, whose JSON tree is kept for
     * readers of members the contract does not have yet.
     *
     * @since 1.2
     */
    public Optional<CheckInAnswer> wireAnswer() {
        return answer.flatMap(CheckInAnswerReader::read);
    }

    /** The server answered 200. */
    public boolean succeeded() {
        return status == 200;
    }

    /** The server answered at all (any HTTP status). */
    public boolean serverReached() {
        return status > 0;
    }
}
