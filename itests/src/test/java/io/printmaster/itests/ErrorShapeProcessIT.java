package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server distribution as shipped (its own bundle order, which differs from Pax Exam's) answers refusals in the
 * error shape too, and logs none of them as an ERROR.
 */
class ErrorShapeProcessIT {

    @Test
    void theShippedServerAnswersRefusalsAsJsonAndLogsNoError() throws Exception {
        try (ServerProcess server = ServerProcess.start("error-shape")) {
            int port = server.baseUri().getPort();
            assertEquals("bad_request", RawHttp.assertErrorShape(RawHttp.send(port,
                    "GET /api/v1/%2e%2e/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400, "an ambiguous URI").path("code").asText());
            assertEquals("headers_too_large", RawHttp.assertErrorShape(RawHttp.send(port,
                    "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + "a".repeat(64 * 1024) + "\r\n\r\n"),
                    431, "headers too large").path("code").asText());
            for (String body : List.of("null", "[]", "\"x\"", "42", "{\"username\":[],\"password\":\"x\"}")) {
                RawHttp.assertErrorShape(RawHttp.send(port, RawHttp.post("/api/v1/auth/login", body)), 400, "login with " + body);
                RawHttp.assertErrorShape(RawHttp.send(port, RawHttp.post("/api/v1/agents/enroll", body)), 400, "enroll with " + body);
            }
            Path log = server.dataDir().resolve("logs/server.log");
            List<String> errors = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains(" ERROR ") || l.startsWith("\tat ")).toList();
            assertTrue(errors.isEmpty(), "nothing logged as an ERROR or with a stack trace:\n" + String.join("\n", errors));
        }
    }
}
