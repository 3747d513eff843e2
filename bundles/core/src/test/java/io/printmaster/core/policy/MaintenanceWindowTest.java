package io.printmaster.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Maintenance windows on the JDK's real time zone rules, at fixed instants. Expected instants are written with the
 * local offset in force ({@code 2026-03-08T01:30-05:00}) so each can be checked against a calendar.
 */
class MaintenanceWindowTest {

    private static final int SUN = 0;
    private static final int SAT = 6;

    private static Instant at(String offsetDateTime) {
        return OffsetDateTime.parse(offsetDateTime).toInstant();
    }

    private static MaintenanceWindow window(String start, String end, String zone, Integer... days) {
        return new MaintenanceWindow(MaintenanceWindowSettings.on(start, end, zone, List.of(days)));
    }

    private static void assertOpenExactly(MaintenanceWindow w, String opens, String closes) {
        Instant o = at(opens);
        Instant c = at(closes);
        assertFalse(w.isOpen(o.minusSeconds(1)), "closed just before " + opens);
        assertTrue(w.isOpen(o), "open at " + opens);
        assertTrue(w.isOpen(c.minusSeconds(1)), "open just before " + closes);
        assertFalse(w.isOpen(c), "closed at " + closes);
        assertEquals(Optional.of(c), w.currentWindowEnd(o));
        assertEquals(Optional.of(o), w.nextOpening(o.minusSeconds(3600)), "opens at " + opens);
    }

    @Test
    void plainDailyWindow() {
        MaintenanceWindow w = window("09:00", "17:00", "Europe/Berlin", 0, 1, 2, 3, 4, 5, 6);
        assertOpenExactly(w, "2026-06-10T09:00+02:00", "2026-06-10T17:00+02:00");
        assertEquals(Optional.of(at("2026-06-11T09:00+02:00")), w.nextOpening(at("2026-06-10T17:00+02:00")));
        assertEquals(Optional.empty(), w.currentWindowEnd(at("2026-06-10T18:00+02:00")), "closed: no end");
    }

    @Test
    void nextOpeningInsideAWindowIsNow() {
        MaintenanceWindow w = window("09:00", "17:00", "UTC", 3);
        Instant inside = at("2026-06-10T12:34:56Z");
        assertEquals(Optional.of(inside), w.nextOpening(inside));
    }

    @Test
    void disabledWindowIsAlwaysOpenAndNeverEnds() {
        MaintenanceWindow w = new MaintenanceWindow(MaintenanceWindowSettings.defaults());
        Instant t = at("2026-06-10T12:00Z");
        assertFalse(w.enabled());
        assertTrue(w.isOpen(t));
        assertEquals(Optional.of(t), w.nextOpening(t));
        assertEquals(Optional.empty(), w.currentWindowEnd(t));
        assertTrue(MaintenanceWindow.always().isOpen(t));
    }

    @Test
    void enabledWindowWithoutDaysNeverOpens() {
        MaintenanceWindow w = new MaintenanceWindow(new MaintenanceWindowSettings(true, 2, 0, 4, 0, "UTC", List.of()));
        Instant t = at("2026-06-10T03:00Z");
        assertFalse(w.isOpen(t));
        assertEquals(Optional.empty(), w.nextOpening(t));
        assertEquals(Optional.empty(), w.currentWindowEnd(t));
    }

    @Test
    void weekWrapSaturdayOnlyAskedOnSunday() {
        MaintenanceWindow w = window("03:00", "04:00", "UTC", SAT);
        assertEquals(Optional.of(at("2026-11-07T03:00Z")), w.nextOpening(at("2026-11-01T10:00Z")), "Sunday → next Saturday");
        assertEquals(Optional.of(at("2026-11-07T03:00Z")), w.nextOpening(at("2026-10-31T04:00Z")), "Saturday, just after");
        assertEquals(Optional.of(at("2026-10-31T03:00Z")), w.nextOpening(at("2026-10-31T01:00Z")), "Saturday, before");
        assertFalse(w.isOpen(at("2026-11-01T03:30Z")), "not on Sunday");
    }

    @Test
    void overnightWindowBelongsToItsStartDay() {
        // Saturday 22:00 to Sunday 04:00; Sunday itself is not listed
        MaintenanceWindow w = window("22:00", "04:00", "UTC", SAT);
        assertOpenExactly(w, "2026-06-13T22:00Z", "2026-06-14T04:00Z");
        assertTrue(w.isOpen(at("2026-06-14T02:00Z")), "Sunday 02:00 is inside Saturday's window");
        assertFalse(w.isOpen(at("2026-06-14T22:30Z")), "no window starts on Sunday");
        assertFalse(w.isOpen(at("2026-06-13T03:00Z")), "Friday's night is not listed");
    }

    @Test
    void invalidSettingsAreRejectedWithEveryViolation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MaintenanceWindow(
                new MaintenanceWindowSettings(true, 24, 0, 4, 60, "Mars/Olympus", List.of(1))));
        assertTrue(e.getMessage().startsWith("invalid maintenance window: "), e.getMessage());
        assertTrue(e.getMessage().contains("maintenance_window.start_hour"), e.getMessage());
        assertTrue(e.getMessage().contains("maintenance_window.end_min"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown time zone 'Mars/Olympus'"), e.getMessage());
    }

    @Nested
    class NewYork {
        private static final String NY = "America/New_York";

        @Test
        void windowAcrossTheSpringForwardGap() {
            // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist and moves to 03:30 EDT
            MaintenanceWindow w = window("01:30", "02:30", NY, SUN);
            assertOpenExactly(w, "2026-03-08T01:30-05:00", "2026-03-08T03:30-04:00");
            // one real hour, as 01:30 EST + 1 h = 03:30 EDT
        }

        @Test
        void windowStartingInTheGapStillOpens() {
            MaintenanceWindow w = window("02:30", "04:00", NY, SUN);
            assertOpenExactly(w, "2026-03-08T03:30-04:00", "2026-03-08T04:00-04:00");
            // the week after, the normal window
            assertOpenExactly(w, "2026-03-15T02:30-04:00", "2026-03-15T04:00-04:00");
        }

        @Test
        void windowWhoseMovedStartPassesItsEndKeepsItsWallClockLength() {
            // 02:30 moves to 03:30 EDT, past the 03:15 end: open 45 minutes from 03:30
            MaintenanceWindow w = window("02:30", "03:15", NY, SUN);
            assertOpenExactly(w, "2026-03-08T03:30-04:00", "2026-03-08T04:15-04:00");
        }

        @Test
        void overnightWindowOverTheSpringForwardNight() {
            MaintenanceWindow w = window("22:00", "04:00", NY, SAT);
            assertOpenExactly(w, "2026-03-07T22:00-05:00", "2026-03-08T04:00-04:00"); // 5 real hours
        }

        @Test
        void overnightWindowOverTheFallBackNight() {
            // 2026-11-01: 02:00 EDT falls back to 01:00 EST; the night is an hour longer
            MaintenanceWindow w = window("22:00", "04:00", NY, SAT);
            assertOpenExactly(w, "2026-10-31T22:00-04:00", "2026-11-01T04:00-05:00"); // 7 real hours
            assertTrue(w.isOpen(at("2026-11-01T01:30-04:00")), "first 01:30 (EDT)");
            assertTrue(w.isOpen(at("2026-11-01T01:30-05:00")), "second 01:30 (EST)");
        }

        @Test
        void windowInTheRepeatedHourOpensOnce() {
            MaintenanceWindow w = window("01:00", "01:30", NY, SUN);
            assertOpenExactly(w, "2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00");
            assertFalse(w.isOpen(at("2026-11-01T01:15-05:00")), "the repeated 01:15 (EST) does not reopen it");
            assertEquals(Optional.of(at("2026-11-08T01:00-05:00")), w.nextOpening(at("2026-11-01T01:00-05:00")),
                    "next opening is next Sunday, not the repeated 01:00");
        }

        @Test
        void windowAcrossTheRepeatedHourIsMeasuredInWallClock() {
            // from the first 01:30 (EDT) to 02:30 (EST): two real hours, one opening
            MaintenanceWindow w = window("01:30", "02:30", NY, SUN);
            assertOpenExactly(w, "2026-11-01T01:30-04:00", "2026-11-01T02:30-05:00");
            assertTrue(w.isOpen(at("2026-11-01T01:10-05:00")));
        }
    }

    @Nested
    class Berlin {
        private static final String BERLIN = "Europe/Berlin";

        @Test
        void springForward() {
            // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 02:00 moves to 03:00, the end 03:00 stays: the window keeps
            // its one wall-clock hour from the moved start
            MaintenanceWindow w = window("02:00", "03:00", BERLIN, SUN);
            assertOpenExactly(w, "2026-03-29T03:00+02:00", "2026-03-29T04:00+02:00");
            MaintenanceWindow around = window("01:00", "04:00", BERLIN, SUN);
            assertOpenExactly(around, "2026-03-29T01:00+01:00", "2026-03-29T04:00+02:00"); // 2 real hours
        }

        @Test
        void fallBack() {
            // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-03:00 happens twice
            MaintenanceWindow w = window("02:15", "02:45", BERLIN, SUN);
            assertOpenExactly(w, "2026-10-25T02:15+02:00", "2026-10-25T02:45+02:00");
            assertFalse(w.isOpen(at("2026-10-25T02:30+01:00")), "not opened a second time");
            MaintenanceWindow across = window("02:00", "03:00", BERLIN, SUN);
            assertOpenExactly(across, "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00"); // 2 real hours
        }
    }

    @Nested
    class LordHowe {
        // Lord Howe Island shifts by 30 minutes: +10:30 standard, +11:00 summer
        private static final String LORD_HOWE = "Australia/Lord_Howe";

        @Test
        void springForwardByHalfAnHour() {
            // 2026-10-04: 02:00 +10:30 jumps to 02:30 +11:00; a 02:00 start moves to 02:30
            MaintenanceWindow w = window("02:00", "03:00", LORD_HOWE, SUN);
            assertOpenExactly(w, "2026-10-04T02:30+11:00", "2026-10-04T03:00+11:00");
        }

        @Test
        void fallBackByHalfAnHour() {
            // 2026-04-05: 02:00 +11:00 falls back to 01:30 +10:30; 01:30-02:00 happens twice
            MaintenanceWindow inRepeat = window("01:30", "01:50", LORD_HOWE, SUN);
            assertOpenExactly(inRepeat, "2026-04-05T01:30+11:00", "2026-04-05T01:50+11:00");
            assertFalse(inRepeat.isOpen(at("2026-04-05T01:40+10:30")), "not opened a second time");
            MaintenanceWindow across = window("01:00", "02:00", LORD_HOWE, SUN);
            assertOpenExactly(across, "2026-04-05T01:00+11:00", "2026-04-05T02:00+10:30"); // 90 real minutes
        }
    }
}
