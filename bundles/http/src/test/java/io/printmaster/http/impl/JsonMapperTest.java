package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.printmaster.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonMapperTest {
    private final JsonMapper json = new JsonMapper();

    record Window(int startHour, String timezone) {
        Window {
            if (timezone == null) {
                throw new IllegalArgumentException("timezone is required");
            }
        }
    }

    record Body(String name, Window window, List<Integer> days) {
    }

    private ApiException fail(String body) {
        return assertThrows(ApiException.class, () -> json.read(body.getBytes(StandardCharsets.UTF_8), Body.class));
    }

    @Test
    void readsSnakeCaseIntoRecords() throws Exception {
        Body b = json.read("{\"name\":\"x\",\"window\":{\"start_hour\":22,\"timezone\":\"UTC\"},\"days\":[1]}"
                .getBytes(StandardCharsets.UTF_8), Body.class);
        assertEquals(new Body("x", new Window(22, "UTC"), List.of(1)), b);
    }

    @Test
    void unknownFieldsAreNamedWithTheirPath() {
        ApiException e = fail("{\"name\":\"x\",\"window\":{\"start_hour\":1,\"timezone\":\"UTC\",\"colour\":1}}");
        assertEquals(400, e.status());
        assertEquals("unknown_field", e.code());
        assertEquals("window.colour", e.field());
    }

    @Test
    void wrongTypesAreNamedWithTheirPath() {
        assertEquals("window.start_hour", fail("{\"window\":{\"start_hour\":\"late\",\"timezone\":\"UTC\"}}").field());
        assertEquals("days[1]", fail("{\"days\":[1,\"two\"]}").field());
    }

    @Test
    void missingRequiredMembersAreNamed() {
        assertEquals("window.timezone", fail("{\"window\":{\"start_hour\":1}}").field());
    }

    @Test
    void malformedAndEmptyBodies() {
        assertEquals("malformed_json", fail("{\"name\":").code());
        assertEquals("malformed_json", fail("{} trailing").code());
        assertEquals("missing_body", assertThrows(ApiException.class, () -> json.read(new byte[0], Body.class)).code());
    }

    @Test
    void writesTimestampsAsIsoStrings() throws Exception {
        record At(Instant createdAt) {
        }
        assertEquals("{\"created_at\":\"2026-11-26T10:00:00Z\"}",
                new String(json.bytes(new At(Instant.parse("2026-11-26T10:00:00Z"))), StandardCharsets.UTF_8));
    }
}
