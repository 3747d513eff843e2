package io.printmaster.core.policy;

import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.zone.ZoneRulesException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the values of an {@link UpdatePolicy} and reports every problem at once, each with its field path, so a
 * console can mark all wrong fields in one round trip. Stateless.
 */
public final class PolicyValidator {

    /** Longest interval between update checks, in days. */
    public static final int MAX_UPDATE_CHECK_DAYS = 365;
    /** Longest delay between rollout waves: 7 days, in seconds. */
    public static final int MAX_DELAY_BETWEEN_WAVES = 7 * 24 * 3600;
    /** Longest start jitter: 1 day, in seconds. */
    public static final int MAX_JITTER_SECONDS = 24 * 3600;

    private static final String WINDOW = "maintenance_window.";
    private static final String ROLLOUT = "rollout_control.";

    private PolicyValidator() {
    }

    /** Every problem of {@code policy}; empty when it is valid. */
    public static List<Violation> validate(UpdatePolicy policy) {
        Objects.requireNonNull(policy, "policy");
        List<Violation> out = new ArrayList<>();
        int days = policy.updateCheckDays();
        if (days < 0 || days > MAX_UPDATE_CHECK_DAYS) {
            out.add(new Violation("update_check_days", "must be 0 (updates disabled) or 1 to " + MAX_UPDATE_CHECK_DAYS
                    + " days, not " + days));
        }
        checkPinStrategy(policy.versionPinStrategy(), out);
        if (policy.targetVersion() != null) {
            try {
                SemanticVersion.parse(policy.targetVersion());
            } catch (IllegalArgumentException e) {
                out.add(new Violation("target_version", e.getMessage() + "; use null for no target"));
            }
        }
        out.addAll(validate(policy.maintenanceWindow()));
        checkRollout(policy.rolloutControl(), out);
        return List.copyOf(out);
    }

    /** Every problem of a maintenance window, with paths under {@code maintenance_window.}; empty when valid. */
    public static List<Violation> validate(MaintenanceWindowSettings w) {
        return validate(w, true);
    }

    /**
     * @param requireDayWhenEnabled false for {@link MaintenanceWindow}, which can compute a window without days (it
     *                              never opens) but not one with a bad time or zone
     */
    static List<Violation> validate(MaintenanceWindowSettings w, boolean requireDayWhenEnabled) {
        Objects.requireNonNull(w, "maintenance window");
        List<Violation> out = new ArrayList<>();
        range(w.startHour(), 0, 23, WINDOW + "start_hour", "an hour", out);
        range(w.startMin(), 0, 59, WINDOW + "start_min", "a minute", out);
        range(w.endHour(), 0, 23, WINDOW + "end_hour", "an hour", out);
        range(w.endMin(), 0, 59, WINDOW + "end_min", "a minute", out);
        if (w.startHour() == w.endHour() && w.startMin() == w.endMin()) {
            out.add(new Violation(WINDOW + "end_hour", String.format(
                    "the window ends when it starts (%02d:%02d): choose an end different from the start; an end "
                            + "before the start makes an overnight window", w.startHour(), w.startMin())));
        }
        checkZone(w.timezone(), out);
        Set<Integer> seen = new HashSet<>();
        List<Integer> daysOfWeek = w.daysOfWeek();
        for (int i = 0; i < daysOfWeek.size(); i++) {
            int day = daysOfWeek.get(i);
            String field = WINDOW + "days_of_week[" + i + "]";
            if (day < 0 || day > 6) {
                out.add(new Violation(field, "must be a day from 0 (Sunday) to 6 (Saturday), not " + day));
            } else if (!seen.add(day)) {
                out.add(new Violation(field, "day " + day + " is listed twice"));
            }
        }
        if (requireDayWhenEnabled && w.enabled() && daysOfWeek.isEmpty()) {
            out.add(new Violation(WINDOW + "days_of_week",
                    "an enabled window needs at least one day (0 = Sunday to 6 = Saturday)"));
        }
        return List.copyOf(out);
    }

    private static void checkPinStrategy(String strategy, List<Violation> out) {
        boolean valid = Arrays.stream(PinStrategy.values()).anyMatch(s -> s.wireName().equals(strategy));
        if (!valid) {
            out.add(new Violation("version_pin_strategy", "must be one of "
                    + Arrays.stream(PinStrategy.values()).map(PinStrategy::wireName).collect(Collectors.joining(", "))
                    + ", not '" + strategy + "'"));
        }
    }

    private static void checkZone(String zone, List<Violation> out) {
        String field = WINDOW + "timezone";
        if (zone.isBlank()) {
            out.add(new Violation(field, "a time zone is required, such as Europe/Berlin or UTC"));
            return;
        }
        try {
            ZoneId.of(zone);
        } catch (ZoneRulesException e) {
            out.add(new Violation(field, "unknown time zone '" + zone
                    + "': use an IANA time zone name such as America/New_York, Europe/Berlin or UTC"));
        } catch (DateTimeException e) {
            out.add(new Violation(field, "'" + zone + "' is not a valid time zone (" + e.getMessage()
                    + "): use an IANA time zone name such as America/New_York, Europe/Berlin or UTC"));
        }
    }

    private static void checkRollout(RolloutControl r, List<Violation> out) {
        if (r.maxConcurrent() < 1) {
            out.add(new Violation(ROLLOUT + "max_concurrent", "must be at least 1, not " + r.maxConcurrent()));
        }
        if (r.batchSize() < 1) {
            out.add(new Violation(ROLLOUT + "batch_size", "must be at least 1, not " + r.batchSize()));
        }
        range(r.delayBetweenWaves(), 0, MAX_DELAY_BETWEEN_WAVES, ROLLOUT + "delay_between_waves",
                "a number of seconds", out);
        range(r.jitterSeconds(), 0, MAX_JITTER_SECONDS, ROLLOUT + "jitter_seconds", "a number of seconds", out);
    }

    private static void range(int value, int min, int max, String field, String what, List<Violation> out) {
        if (value < min || value > max) {
            out.add(new Violation(field, "must be " + what + " from " + min + " to " + max + ", not " + value));
        }
    }
}
