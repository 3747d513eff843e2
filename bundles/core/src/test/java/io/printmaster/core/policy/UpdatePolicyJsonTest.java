package io.printmaster.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class UpdatePolicyJsonTest {

    /** Configured like the API dispatcher's mapper (bundles/http JsonMapper), minus JavaTimeModule. */
    static final ObjectMapper DISPATCHER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    /** A mapper with no naming strategy: the explicit names must still win. */
    static final ObjectMapper PLAIN = new ObjectMapper();

    static Stream<ObjectMapper> mappers() {
        return Stream.of(DISPATCHER, PLAIN);
    }

    static final String FULL = """
            {
              "update_check_days": 3,
              "version_pin_strategy": "major",
              "allow_major_upgrade": true,
              "target_version": "1.2.3",
              "collect_telemetry": false,
              "maintenance_window": {"enabled": true, "start_hour": 22, "start_min": 30, "end_hour": 4, "end_min": 15,
                                     "timezone": "Europe/Berlin", "days_of_week": [5, 6]},
              "rollout_control": {"staggered": true, "max_concurrent": 5, "batch_size": 20, "delay_between_waves": 900,
                                  "jitter_seconds": 60, "emergency_abort": true}
            }""";

    @ParameterizedTest
    @MethodSource("mappers")
    void writesTheWireNames(ObjectMapper mapper) throws Exception {
        JsonNode json = mapper.readTree(mapper.writeValueAsString(UpdatePolicy.defaults()));
        assertEquals(List.of("update_check_days", "version_pin_strategy", "allow_major_upgrade", "target_version",
                "collect_telemetry", "maintenance_window", "rollout_control", "require_approval"), names(json));
        assertEquals(List.of("enabled", "start_hour", "start_min", "end_hour", "end_min", "timezone", "days_of_week"),
                names(json.get("maintenance_window")));
        assertEquals(List.of("staggered", "max_concurrent", "batch_size", "delay_between_waves", "jitter_seconds",
                "emergency_abort"), names(json.get("rollout_control")));
        assertEquals(7, json.get("update_check_days").asInt());
        assertEquals("minor", json.get("version_pin_strategy").asText());
        assertTrue(json.get("target_version").isNull());
        assertEquals("[0,1,2,3,4,5,6]", json.get("maintenance_window").get("days_of_week").toString());
    }

    private static List<String> names(JsonNode node) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void roundTrips(ObjectMapper mapper) throws Exception {
        UpdatePolicy p = mapper.readValue(FULL, UpdatePolicy.class);
        assertEquals(new UpdatePolicy(3, "major", true, "1.2.3", false,
                new MaintenanceWindowSettings(true, 22, 30, 4, 15, "Europe/Berlin", List.of(5, 6)),
                new RolloutControl(true, 5, 20, 900, 60, true)), p);
        assertEquals(p, mapper.readValue(mapper.writeValueAsString(p), UpdatePolicy.class));
        assertEquals(UpdatePolicy.defaults(),
                mapper.readValue(mapper.writeValueAsString(UpdatePolicy.defaults()), UpdatePolicy.class));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void requireApprovalIsFalseWhenAbsentAndKeptWhenSent(ObjectMapper mapper) throws Exception {
        assertEquals(false, mapper.readValue(FULL, UpdatePolicy.class).approvalRequired(), "a client older than it");
        String approving = FULL.replaceFirst("\\{", "{\"require_approval\": true,");
        UpdatePolicy read = mapper.readValue(approving, UpdatePolicy.class);
        assertEquals(true, read.approvalRequired());
        assertEquals(read, mapper.readValue(mapper.writeValueAsString(read), UpdatePolicy.class));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void targetVersionMayBeAbsent(ObjectMapper mapper) throws Exception {
        String json = FULL.replace("\"target_version\": \"1.2.3\",", "");
        assertNull(mapper.readValue(json, UpdatePolicy.class).targetVersion());
        assertNull(mapper.readValue(FULL.replace("\"1.2.3\"", "null"), UpdatePolicy.class).targetVersion());
    }

    @ParameterizedTest
    @ValueSource(strings = {"update_check_days", "version_pin_strategy", "allow_major_upgrade", "collect_telemetry",
            "maintenance_window", "rollout_control", "timezone", "days_of_week", "start_min", "jitter_seconds",
            "emergency_abort"})
    void everyOtherFieldIsRequired(String field) throws Exception {
        ObjectMapper mapper = DISPATCHER;
        com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(FULL);
        if (tree.has(field)) {
            tree.remove(field);
        } else if (tree.get("maintenance_window").has(field)) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("maintenance_window")).remove(field);
        } else {
            ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("rollout_control")).remove(field);
        }
        JsonMappingException e = assertThrows(JsonMappingException.class,
                () -> mapper.treeToValue(tree, UpdatePolicy.class));
        assertTrue(e.getOriginalMessage().contains("'" + field + "'"), e.getOriginalMessage());
    }

    @Test
    void unknownFieldsAreRejected() {
        UnrecognizedPropertyException e = assertThrows(UnrecognizedPropertyException.class,
                () -> DISPATCHER.readValue(FULL.replace("\"collect_telemetry\"", "\"colour\": \"blue\", \"collect_telemetry\""),
                        UpdatePolicy.class));
        assertEquals("colour", e.getPropertyName());
        UnrecognizedPropertyException nested = assertThrows(UnrecognizedPropertyException.class,
                () -> DISPATCHER.readValue(FULL.replace("\"start_min\"", "\"start_minute\": 1, \"start_min\""), UpdatePolicy.class));
        assertEquals("start_minute", nested.getPropertyName());
        assertEquals("maintenance_window", nested.getPath().get(0).getFieldName());
    }

    @Test
    void nullStructureIsRejectedNamingTheField() {
        JsonMappingException e = assertThrows(JsonMappingException.class, () -> DISPATCHER.readValue(
                FULL.replaceAll("\"rollout_control\": \\{[^}]*}", "\"rollout_control\": null"), UpdatePolicy.class));
        assertTrue(e.getCause() instanceof IllegalArgumentException, String.valueOf(e.getCause()));
        assertEquals("rollout_control is required", e.getCause().getMessage());
        JsonMappingException day = assertThrows(JsonMappingException.class, () -> DISPATCHER.readValue(
                FULL.replace("[5, 6]", "[5, null]"), UpdatePolicy.class));
        assertEquals("maintenance_window.days_of_week[1] is required", day.getCause().getMessage());
        assertThrows(JsonMappingException.class, () -> DISPATCHER.readValue(
                FULL.replace("\"start_hour\": 22", "\"start_hour\": null"), UpdatePolicy.class));
    }

    @Test
    void noCoercionFromStrings() {
        assertThrows(JsonMappingException.class, () -> DISPATCHER.readValue(
                FULL.replace("\"update_check_days\": 3", "\"update_check_days\": \"3\""), UpdatePolicy.class));
    }

    @Test
    void typedViews() {
        UpdatePolicy p = UpdatePolicy.defaults();
        assertEquals(PinStrategy.MINOR, p.pinStrategy());
        assertEquals(Optional.empty(), p.target());
        assertTrue(p.updatesEnabled());
        UpdatePolicy pinned = new UpdatePolicy(0, "patch", false, "v0.9.14", true,
                MaintenanceWindowSettings.defaults(), RolloutControl.defaults());
        assertEquals(Optional.of(SemanticVersion.parse("0.9.14")), pinned.target());
        assertEquals(false, pinned.updatesEnabled());
        assertEquals(Optional.of(SemanticVersion.parse("0.9.14")), pinned.versionSelector()
                .select(List.of(SemanticVersion.parse("0.9.14"), SemanticVersion.parse("0.9.20")), SemanticVersion.parse("0.9.3")));
    }

    @Test
    void defaultsAreSensible() {
        UpdatePolicy d = UpdatePolicy.defaults();
        assertEquals(7, d.updateCheckDays());
        assertEquals("minor", d.versionPinStrategy());
        assertEquals(false, d.allowMajorUpgrade());
        assertNull(d.targetVersion());
        assertTrue(d.collectTelemetry());
        assertEquals(false, d.maintenanceWindow().enabled());
        assertEquals(false, d.rolloutControl().staggered());
        assertEquals(false, d.rolloutControl().emergencyAbort());
    }
}
