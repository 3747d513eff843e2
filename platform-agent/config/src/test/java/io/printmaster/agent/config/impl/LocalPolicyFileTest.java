package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.core.policy.UpdatePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPolicyFileTest {
    static final String VALID = """
            {
              "update_check_days": 1,
              "version_pin_strategy": "patch",
              "allow_major_upgrade": false,
              "collect_telemetry": false,
              "maintenance_window": {"enabled": true, "start_hour": 22, "start_min": 0, "end_hour": 4, "end_min": 0,
                                     "timezone": "Europe/Berlin", "days_of_week": [1, 2, 3, 4, 5]},
              "rollout_control": {"staggered": false, "max_concurrent": 10, "batch_size": 50, "delay_between_waves": 1800,
                                  "jitter_seconds": 300, "emergency_abort": false}
            }""";

    @TempDir
    Path etc;

    private LocalPolicyFile.Reading read(String json) throws IOException {
        Path file = etc.resolve(LocalPolicyFile.FILE_NAME);
        Files.writeString(file, json);
        return LocalPolicyFile.read(file);
    }

    private static List<String> fields(LocalPolicyFile.Reading r) {
        return r.errors().stream().map(ConfigError::field).toList();
    }

    @Test
    void aValidFileInTheWireFormatIsThePolicy() throws IOException {
        LocalPolicyFile.Reading r = read(VALID);

        assertEquals(List.of(), r.errors());
        UpdatePolicy p = r.policy().orElseThrow();
        assertEquals(1, p.updateCheckDays());
        assertEquals("patch", p.versionPinStrategy());
        assertEquals("Europe/Berlin", p.maintenanceWindow().timezone());
        assertEquals(List.of(1, 2, 3, 4, 5), p.maintenanceWindow().daysOfWeek());
    }

    @Test
    void noFileIsNotAnError() {
        LocalPolicyFile.Reading r = LocalPolicyFile.read(etc.resolve(LocalPolicyFile.FILE_NAME));

        assertFalse(r.present());
        assertEquals(Optional.empty(), r.policy());
        assertEquals(List.of(), r.errors());
    }

    @Test
    void everyInvalidValueIsNamedByItsField() throws IOException {
        LocalPolicyFile.Reading r = read(VALID.replace("\"update_check_days\": 1", "\"update_check_days\": 400")
                .replace("Europe/Berlin", "Mars/Olympus"));

        assertEquals(Optional.empty(), r.policy());
        assertEquals(List.of("local_policy.update_check_days", "local_policy.maintenance_window.timezone"), fields(r));
        assertTrue(r.errors().get(1).message().contains("Mars/Olympus"));
    }

    @Test
    void anUnknownFieldIsNamed() throws IOException {
        LocalPolicyFile.Reading r = read(VALID.replace("\"collect_telemetry\"", "\"collect_telemetri\": true, \"collect_telemetry\""));

        assertEquals(List.of("local_policy.collect_telemetri"), fields(r));
    }

    @Test
    void aMissingFieldIsNamed() throws IOException {
        LocalPolicyFile.Reading r = read(VALID.replace("\"start_hour\": 22, ", ""));

        assertEquals(List.of("local_policy.maintenance_window.start_hour"), fields(r));
        assertTrue(r.errors().get(0).message().startsWith("is required"), r.errors().get(0).message());
    }

    @Test
    void aWrongTypeIsNamed() throws IOException {
        LocalPolicyFile.Reading r = read(VALID.replace("\"update_check_days\": 1", "\"update_check_days\": \"daily\""));

        assertEquals(List.of("local_policy.update_check_days"), fields(r));
        assertEquals("must be a whole number", r.errors().get(0).message());
    }

    @Test
    void aWrongNestedTypeIsNamed() throws IOException {
        LocalPolicyFile.Reading r = read(VALID.replace("\"enabled\": true", "\"enabled\": \"yes\"")
                .replace("[1, 2, 3, 4, 5]", "\"weekdays\""));

        assertEquals(List.of("local_policy.maintenance_window.enabled"), fields(r));
        assertEquals("must be true or false", r.errors().get(0).message());
    }

    @Test
    void brokenJsonSaysWhere() throws IOException {
        LocalPolicyFile.Reading r = read("{\n  \"update_check_days\": 1,\n  oops\n}");

        assertTrue(r.present());
        assertEquals(List.of("local_policy"), fields(r));
        assertTrue(r.errors().get(0).message().contains("line 3"), r.errors().get(0).message());
    }
}
