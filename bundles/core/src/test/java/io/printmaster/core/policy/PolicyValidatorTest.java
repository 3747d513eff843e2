package io.printmaster.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PolicyValidatorTest {

    private static final UpdatePolicy DEFAULTS = UpdatePolicy.defaults();
    private static final MaintenanceWindowSettings WINDOW = MaintenanceWindowSettings.defaults();
    private static final RolloutControl ROLLOUT = RolloutControl.defaults();

    private static UpdatePolicy policy(int checkDays, String pin, String target) {
        return new UpdatePolicy(checkDays, pin, false, target, true, WINDOW, ROLLOUT);
    }

    private static UpdatePolicy withWindow(MaintenanceWindowSettings w) {
        return new UpdatePolicy(7, "minor", false, null, true, w, ROLLOUT);
    }

    private static UpdatePolicy withRollout(RolloutControl r) {
        return new UpdatePolicy(7, "minor", false, null, true, WINDOW, r);
    }

    private static MaintenanceWindowSettings window(boolean enabled, int sh, int sm, int eh, int em, String zone,
                                                    List<Integer> days) {
        return new MaintenanceWindowSettings(enabled, sh, sm, eh, em, zone, days);
    }

    private static Map<String, String> violations(UpdatePolicy p) {
        return PolicyValidator.validate(p).stream().collect(Collectors.toMap(Violation::field, Violation::message));
    }

    @Test
    void defaultsAreValid() {
        assertEquals(List.of(), PolicyValidator.validate(DEFAULTS));
    }

    @Test
    void updateCheckDays() {
        assertEquals(Map.of(), violations(policy(0, "minor", null)), "0 disables updates");
        assertEquals(Map.of(), violations(policy(365, "minor", null)));
        assertEquals(Map.of("update_check_days", "must be 0 (updates disabled) or 1 to 365 days, not 366"),
                violations(policy(366, "minor", null)));
        assertEquals(Map.of("update_check_days", "must be 0 (updates disabled) or 1 to 365 days, not -1"),
                violations(policy(-1, "minor", null)));
    }

    @Test
    void pinStrategyMustBeALowercaseWireName() {
        assertEquals(Map.of(), violations(policy(7, "major", null)));
        assertEquals(Map.of(), violations(policy(7, "patch", null)));
        assertEquals(Map.of("version_pin_strategy", "must be one of major, minor, patch, not 'exact'"),
                violations(policy(7, "exact", null)));
        assertEquals(Map.of("version_pin_strategy", "must be one of major, minor, patch, not 'MINOR'"),
                violations(policy(7, "MINOR", null)));
    }

    @Test
    void targetVersion() {
        assertEquals(Map.of(), violations(policy(7, "minor", "0.9.14")));
        assertEquals(Map.of(), violations(policy(7, "minor", "v1.0.0-rc.1")));
        assertEquals(Map.of("target_version",
                        "'0.9' is not a semantic version: expected MAJOR.MINOR.PATCH such as 1.2.3; use null for no target"),
                violations(policy(7, "minor", "0.9")));
        assertTrue(violations(policy(7, "minor", "")).containsKey("target_version"), "empty is not 'no target'");
    }

    @Test
    void hoursAndMinutes() {
        Map<String, String> v = violations(withWindow(window(true, 24, -1, -1, 60, "UTC", List.of(1))));
        assertEquals("must be an hour from 0 to 23, not 24", v.get("maintenance_window.start_hour"));
        assertEquals("must be a minute from 0 to 59, not -1", v.get("maintenance_window.start_min"));
        assertEquals("must be an hour from 0 to 23, not -1", v.get("maintenance_window.end_hour"));
        assertEquals("must be a minute from 0 to 59, not 60", v.get("maintenance_window.end_min"));
        assertEquals(4, v.size(), v.toString());
        assertEquals(Map.of(), violations(withWindow(window(true, 23, 59, 0, 0, "UTC", List.of(1)))));
    }

    @Test
    void startMustDifferFromEnd() {
        assertEquals(Map.of("maintenance_window.end_hour", "the window ends when it starts (02:30): choose an end "
                        + "different from the start; an end before the start makes an overnight window"),
                violations(withWindow(window(true, 2, 30, 2, 30, "UTC", List.of(1)))));
    }

    @Test
    void timezone() {
        assertEquals(Map.of(), violations(withWindow(window(true, 2, 0, 4, 0, "America/New_York", List.of(1)))));
        assertEquals(Map.of("maintenance_window.timezone", "unknown time zone 'Mars/Olympus': use an IANA time zone "
                        + "name such as America/New_York, Europe/Berlin or UTC"),
                violations(withWindow(window(true, 2, 0, 4, 0, "Mars/Olympus", List.of(1)))));
        assertTrue(violations(withWindow(window(true, 2, 0, 4, 0, "+25:00", List.of(1))))
                .get("maintenance_window.timezone").startsWith("'+25:00' is not a valid time zone"));
        assertEquals(Map.of("maintenance_window.timezone", "a time zone is required, such as Europe/Berlin or UTC"),
                violations(withWindow(window(true, 2, 0, 4, 0, " ", List.of(1)))));
        assertTrue(violations(withWindow(window(true, 2, 0, 4, 0, "europe/berlin!", List.of(1))))
                .containsKey("maintenance_window.timezone"));
    }

    @Test
    void daysOfWeek() {
        Map<String, String> v = violations(withWindow(window(true, 2, 0, 4, 0, "UTC", List.of(0, 7, 3, 0, -1))));
        assertEquals(Map.of(
                "maintenance_window.days_of_week[1]", "must be a day from 0 (Sunday) to 6 (Saturday), not 7",
                "maintenance_window.days_of_week[3]", "day 0 is listed twice",
                "maintenance_window.days_of_week[4]", "must be a day from 0 (Sunday) to 6 (Saturday), not -1"), v);
    }

    @Test
    void enabledWindowNeedsADay() {
        assertEquals(Map.of("maintenance_window.days_of_week",
                        "an enabled window needs at least one day (0 = Sunday to 6 = Saturday)"),
                violations(withWindow(window(true, 2, 0, 4, 0, "UTC", List.of()))));
        assertEquals(Map.of(), violations(withWindow(window(false, 2, 0, 4, 0, "UTC", List.of()))),
                "a disabled window may have no days");
    }

    @Test
    void rollout() {
        Map<String, String> v = violations(withRollout(new RolloutControl(true, 0, 0, -1, -5, false)));
        assertEquals(Map.of(
                "rollout_control.max_concurrent", "must be at least 1, not 0",
                "rollout_control.batch_size", "must be at least 1, not 0",
                "rollout_control.delay_between_waves", "must be a number of seconds from 0 to 604800, not -1",
                "rollout_control.jitter_seconds", "must be a number of seconds from 0 to 86400, not -5"), v);
        assertEquals(Map.of(), violations(withRollout(new RolloutControl(true, 1, 1, 604800, 86400, true))));
        v = violations(withRollout(new RolloutControl(true, 1, 1, 604801, 86401, false)));
        assertEquals(2, v.size(), v.toString());
    }

    @Test
    void reportsEveryProblemAtOnceInFieldOrder() {
        UpdatePolicy bad = new UpdatePolicy(400, "sometimes", false, "next", true,
                window(true, 25, 0, 4, 0, "Nowhere/Land", List.of(9)),
                new RolloutControl(true, 0, 10, 0, 0, false));
        assertEquals(List.of("update_check_days", "version_pin_strategy", "target_version",
                        "maintenance_window.start_hour", "maintenance_window.timezone",
                        "maintenance_window.days_of_week[0]", "rollout_control.max_concurrent"),
                PolicyValidator.validate(bad).stream().map(Violation::field).toList());
    }

    @Test
    void violationReadsAsFieldAndMessage() {
        assertEquals("rollout_control.batch_size: must be at least 1, not 0",
                new Violation("rollout_control.batch_size", "must be at least 1, not 0").toString());
    }
}
