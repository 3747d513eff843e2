package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.printmaster.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonMapperTest {
    private final JsonMapper json = new JsonMapper();

    record Window(int startHour, String timezone) {
        Window {
            if (timezone == null) {
                throw new IllegalArgumentException("timezone is required");
            }
        }
    }

    /** Written on the wire in lower case, as the API's enums are. */
    enum Channel {
        @JsonProperty("stable") STABLE,
        @JsonProperty("beta") BETA
    }

    record Body(String name, Window window, List<Integer> days, Boolean enabled, Channel channel, Instant at) {
        Body(String name, Window window, List<Integer> days) {
            this(name, window, days, null, null, null);
        }
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

    /** What a user reads must name JSON fields and types, never Java classes or Jackson internals. */
    private static ApiException userFacing(ApiException e) {
        for (String javaism : List.of("java.", "`", "Body", "Window", "Integer", "Instant", "JsonToken", "byte[]", "Source")) {
            assertFalse(e.getMessage().contains(javaism), () -> "message mentions '" + javaism + "': " + e.getMessage());
        }
        assertEquals(400, e.status());
        return e;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\0', value = {
            "null       | null",
            "[]         | an array",
            "[{}]       | an array",
            "\"x\"    | a string",
            "42         | a number",
            "true       | a boolean"})
    void aBodyThatIsNotAnObjectIsInvalidBody(String body, String named) {
        ApiException e = userFacing(fail(body));
        assertEquals("invalid_body", e.code());
        assertNull(e.field());
        assertEquals("the body must be a JSON object, not " + named, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\0', value = {
            "{\"name\":42}                                          | name              | must be a string, not a number",
            "{\"name\":{}}                                          | name              | must be a string, not an object",
            "{\"name\":[\"a\"]}                                   | name              | must be a string, not an array",
            "{\"enabled\":\"yes\"}                                | enabled           | must be a boolean, not a string",
            "{\"days\":\"monday\"}                                | days              | must be an array, not a string",
            "{\"days\":[1,\"two\"]}                               | days[1]           | must be an integer, not a string",
            "{\"window\":\"nightly\"}                             | window            | must be an object, not a string",
            "{\"window\":[]}                                        | window            | must be an object, not an array",
            "{\"window\":{\"start_hour\":\"late\",\"timezone\":\"UTC\"}} | window.start_hour | must be an integer, not a string",
            "{\"window\":{\"start_hour\":true,\"timezone\":\"UTC\"}}   | window.start_hour | must be an integer, not a boolean",
            "{\"window\":{\"start_hour\":null,\"timezone\":\"UTC\"}}   | window.start_hour | must be an integer, not null",
            "{\"channel\":\"nightly\"}                            | channel           | has value 'nightly', which is not one of ['stable', 'beta']",
            "{\"at\":\"yesterday\"}                               | at                | has value 'yesterday', which is not a valid ISO-8601 timestamp string",
            "{\"at\":[]}                                            | at                | must be an ISO-8601 timestamp string, not an array"})
    void aWrongTypedMemberIsNamedInJsonTerms(String body, String field, String says) {
        ApiException e = userFacing(fail(body));
        assertEquals("invalid_field", e.code());
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith("field '" + field + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    @Test
    void malformedJsonSaysWhereNotWhichJavaSource() {
        ApiException e = userFacing(fail("{\"name\":\"x\""));
        assertEquals("malformed_json", e.code());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void writesTimestampsAsIsoStrings() throws Exception {
        record At(Instant createdAt) {
        }
        assertEquals("{\"created_at\":\"2026-11-26T10:00:00Z\"}",
                new String(json.bytes(new At(Instant.parse("2026-11-26T10:00:00Z"))), StandardCharsets.UTF_8));
    }
}
