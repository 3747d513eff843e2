package io.printmaster.core.policy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When updates may be applied, from a {@link MaintenanceWindowSettings}. Immutable and thread-safe.
 *
 * <h2>Rules</h2>
 * <ul>
 * <li>Start and end are wall-clock times in the window's time zone. The window opens at the start on each listed
 * day ({@code days_of_week}, 0 = Sunday) and is open up to, not including, the end. An end earlier than the start
 * means an overnight window that ends on the next day ({@code 22:00–04:00} started on Saturday ends Sunday 04:00,
 * so Sunday 02:00 is inside Saturday's window even if Sunday is not listed).</li>
 * <li>A wall-clock time is turned into an instant as {@link ZonedDateTime#of} does. On a spring-forward day a
 * time that does not exist moves forward by the length of the gap (in New York 02:30 on 8 March 2026 becomes
 * 03:30 EDT), so a window that starts in the gap still opens, later. On a fall-back day a time that occurs twice
 * means its first occurrence (the earlier offset), so a window opens only once and its length is measured in wall
 * clock: {@code 01:30–02:30} on a fall-back night lasts two real hours, from the first 01:30 to 02:30.</li>
 * <li>If, on a spring-forward day, both ends fall into the gap so that the moved start is not before the moved
 * end, the window keeps its wall-clock length from the moved start: it still opens.</li>
 * <li>A disabled window is always open. An enabled window with no days never opens (fail safe).</li>
 * </ul>
 */
public final class MaintenanceWindow {

    /** Enough days around an instant to find the window that contains it and the next one after it. */
    private static final int DAYS_BACK = 2;
    private static final int DAYS_AHEAD = 9;

    private final boolean enabled;
    private final LocalTime start;
    private final LocalTime end;
    private final ZoneId zone;
    private final Set<DayOfWeek> days;
    private final Duration wallClockLength;

    /**
     * An enabled window without days is accepted and never opens: {@link PolicyValidator} refuses such a policy, but
     * if one reaches an agent anyway it fails safe (no updates) rather than open (updates at any time).
     *
     * @throws IllegalArgumentException when a time or the time zone is not valid, with every
     *                                  {@link PolicyValidator} message
     */
    public MaintenanceWindow(MaintenanceWindowSettings settings) {
        Objects.requireNonNull(settings, "settings");
        List<Violation> violations = PolicyValidator.validate(settings, false);
        if (!violations.isEmpty()) {
            throw new IllegalArgumentException("invalid maintenance window: "
                    + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        }
        this.enabled = settings.enabled();
        this.start = LocalTime.of(settings.startHour(), settings.startMin());
        this.end = LocalTime.of(settings.endHour(), settings.endMin());
        this.zone = ZoneId.of(settings.timezone());
        EnumSet<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
        for (int d : settings.daysOfWeek()) {
            set.add(d == 0 ? DayOfWeek.SUNDAY : DayOfWeek.of(d));
        }
        this.days = set;
        Duration length = Duration.between(start, end);
        this.wallClockLength = length.isNegative() ? length.plusDays(1) : length;
    }

    /** A window that is always open. */
    public static MaintenanceWindow always() {
        return new MaintenanceWindow(MaintenanceWindowSettings.defaults());
    }

    /** False when the window is disabled: then it is always open. */
    public boolean enabled() {
        return enabled;
    }

    /** True when updates may be applied at {@code now}. */
    public boolean isOpen(Instant now) {
        Objects.requireNonNull(now, "now");
        return !enabled || containing(now).isPresent();
    }

    /**
     * The earliest instant at or after {@code from} at which the window is open: {@code from} itself when it is open
     * then (always, for a disabled window), otherwise the start of the next window. Empty when the window never
     * opens (enabled, no days).
     */
    public Optional<Instant> nextOpening(Instant from) {
        Objects.requireNonNull(from, "from");
        if (!enabled || containing(from).isPresent()) {
            return Optional.of(from);
        }
        return occurrencesAround(from).stream()
                .map(Occurrence::start)
                .filter(s -> s.isAfter(from))
                .min(Comparator.naturalOrder());
    }

    /**
     * When the window that is open at {@code now} closes. Empty when it is closed at {@code now}, and for a disabled
     * window, which never closes. If windows overlap (possible only around daylight saving changes), the end of the
     * last one that keeps the window open without a break.
     */
    public Optional<Instant> currentWindowEnd(Instant now) {
        Objects.requireNonNull(now, "now");
        if (!enabled) {
            return Optional.empty();
        }
        Optional<Occurrence> current = containing(now);
        if (current.isEmpty()) {
            return Optional.empty();
        }
        Instant endsAt = current.get().end();
        boolean extended = true;
        List<Occurrence> around = occurrencesAround(now);
        while (extended) {
            extended = false;
            for (Occurrence o : around) {
                if (!o.start().isAfter(endsAt) && o.end().isAfter(endsAt)) {
                    endsAt = o.end();
                    extended = true;
                }
            }
        }
        return Optional.of(endsAt);
    }

    private Optional<Occurrence> containing(Instant now) {
        return occurrencesAround(now).stream().filter(o -> o.contains(now)).findFirst();
    }

    private List<Occurrence> occurrencesAround(Instant instant) {
        LocalDate today = instant.atZone(zone).toLocalDate();
        List<Occurrence> out = new ArrayList<>();
        for (LocalDate d = today.minusDays(DAYS_BACK); !d.isAfter(today.plusDays(DAYS_AHEAD)); d = d.plusDays(1)) {
            if (days.contains(d.getDayOfWeek())) {
                out.add(occurrenceStartingOn(d));
            }
        }
        return out;
    }

    private Occurrence occurrenceStartingOn(LocalDate day) {
        ZonedDateTime s = ZonedDateTime.of(day, start, zone);
        ZonedDateTime e = ZonedDateTime.of(end.isAfter(start) ? day : day.plusDays(1), end, zone);
        if (!e.isAfter(s)) {
            // both ends in a spring-forward gap: keep the wall-clock length from the moved start
            e = s.plus(wallClockLength);
        }
        return new Occurrence(s.toInstant(), e.toInstant());
    }

    private record Occurrence(Instant start, Instant end) {
        boolean contains(Instant t) {
            return !t.isBefore(start) && t.isBefore(end);
        }
    }

    @Override
    public String toString() {
        if (!enabled) {
            return "MaintenanceWindow[always open]";
        }
        return "MaintenanceWindow[" + start + "-" + end + " " + zone + " starting on " + days + "]";
    }
}
