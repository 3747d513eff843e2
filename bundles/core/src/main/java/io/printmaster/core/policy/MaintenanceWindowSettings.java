package io.printmaster.core.policy;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * When updates may be applied: the {@code maintenance_window} of an {@link UpdatePolicy}. Times are wall-clock times
 * in {@code timezone}; {@code days_of_week} name the days a window <em>starts</em> on, 0 = Sunday to 6 = Saturday;
 * an end before the start means the window runs overnight into the next day. {@link MaintenanceWindow} has the
 * exact rules, including daylight saving time. All fields are required (see {@link UpdatePolicy}).
 *
 * @param enabled    false: updates may be applied at any time
 * @param startHour  0 to 23
 * @param startMin   0 to 59
 * @param endHour    0 to 23
 * @param endMin     0 to 59; the end differs from the start
 * @param timezone   a time zone id: an IANA name such as {@code Europe/Berlin}, or {@code UTC}
 * @param daysOfWeek days the window starts on, 0 (Sunday) to 6 (Saturday), no duplicates; at least one when enabled
 */
public record MaintenanceWindowSettings(
        @JsonProperty(value = "enabled", required = true) boolean enabled,
        @JsonProperty(value = "start_hour", required = true) int startHour,
        @JsonProperty(value = "start_min", required = true) int startMin,
        @JsonProperty(value = "end_hour", required = true) int endHour,
        @JsonProperty(value = "end_min", required = true) int endMin,
        @JsonProperty(value = "timezone", required = true) String timezone,
        @JsonProperty(value = "days_of_week", required = true) List<Integer> daysOfWeek) {

    /**
     * @throws IllegalArgumentException when {@code timezone} or {@code days_of_week} is null or a day is null
     */
    public MaintenanceWindowSettings {
        Structure.require(timezone, "maintenance_window.timezone");
        Structure.require(daysOfWeek, "maintenance_window.days_of_week");
        for (int i = 0; i < daysOfWeek.size(); i++) {
            Structure.require(daysOfWeek.get(i), "maintenance_window.days_of_week[" + i + "]");
        }
        daysOfWeek = List.copyOf(daysOfWeek);
    }

    /** Disabled; if enabled as is: 02:00 to 04:00 UTC, every day. */
    public static MaintenanceWindowSettings defaults() {
        return new MaintenanceWindowSettings(false, 2, 0, 4, 0, "UTC", List.of(0, 1, 2, 3, 4, 5, 6));
    }

    /** Every day from {@code start} to {@code end} ({@code "HH:MM"}) in {@code timezone}, enabled. */
    public static MaintenanceWindowSettings daily(String start, String end, String timezone) {
        return on(start, end, timezone, List.of(0, 1, 2, 3, 4, 5, 6));
    }

    /**
     * An enabled window from {@code start} to {@code end} ({@code "HH:MM"}) in {@code timezone} on these days
     * (0 = Sunday).
     */
    public static MaintenanceWindowSettings on(String start, String end, String timezone, List<Integer> days) {
        int[] s = hhmm(start);
        int[] e = hhmm(end);
        return new MaintenanceWindowSettings(true, s[0], s[1], e[0], e[1], timezone, days);
    }

    private static int[] hhmm(String text) {
        String[] p = text.split(":", -1);
        if (p.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not a time: expected HH:MM");
        }
        try {
            return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("'" + text + "' is not a time: expected HH:MM", ex);
        }
    }
}
