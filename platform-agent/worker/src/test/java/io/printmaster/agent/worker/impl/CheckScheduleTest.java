package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.worker.impl.CheckSchedule.NextCheck;
import io.printmaster.agent.worker.impl.CheckSchedule.Reason;
import io.printmaster.core.policy.MaintenanceWindow;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.retry.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class CheckScheduleTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-05T10:00:00Z"), ZoneOffset.UTC);

    /** A random generator whose every draw is {@code fraction}, so jittered instants can be computed by hand. */
    static RandomGenerator fixed(double fraction) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException("the schedule draws doubles only");
            }

            @Override
            public double nextDouble() {
                return fraction;
            }
        };
    }

    static UpdatePolicy policy(int days, MaintenanceWindowSettings window) {
        return new UpdatePolicy(days, "minor", false, null, true, window, RolloutControl.defaults());
    }

    static UpdatePolicy noWindow(int days) {
        return policy(days, MaintenanceWindowSettings.defaults());
    }

    private static NextCheck next(double fraction, UpdatePolicy policy, String lastCheck, Instant now) {
        return new CheckSchedule(fixed(fraction)).next(policy, Optional.of(Instant.parse(lastCheck)), now).orElseThrow();
    }

    @Test
    void checksEveryIntervalPlusJitterOfAtMostAnHour() {
        NextCheck n = next(0.5, noWindow(7), "2026-01-05T10:00:00Z", CLOCK.instant());
        assertEquals(Instant.parse("2026-01-12T10:00:00Z"), n.dueAt());
        // 10% of 7 days is 16.8 h, capped at 1 h: half of it
        assertEquals(Instant.parse("2026-01-12T10:30:00Z"), n.at());
        assertEquals(Reason.INTERVAL, n.reason());
        assertEquals(Optional.empty(), n.reason().errorCode());
    }

    @Test
    void zeroCheckDaysSchedulesNoCheck() {
        assertEquals(Optional.empty(), new CheckSchedule(fixed(0.5))
                .next(noWindow(0), Optional.of(CLOCK.instant()), CLOCK.instant()));
        assertEquals(Optional.empty(), new CheckSchedule(fixed(0.5))
                .next(policy(0, MaintenanceWindowSettings.daily("02:00", "04:00", "UTC")), Optional.empty(),
                        CLOCK.instant()));
    }

    @Test
    void firstAndOverdueChecksAreDueNow() {
        NextCheck first = new CheckSchedule(fixed(0.0)).next(noWindow(7), Optional.empty(), CLOCK.instant())
                .orElseThrow();
        assertEquals(CLOCK.instant(), first.at());
        // the agent was off for a month: due now, plus jitter (a quarter of an hour)
        NextCheck overdue = next(0.25, noWindow(7), "2025-12-01T00:00:00Z", CLOCK.instant());
        assertEquals(CLOCK.instant(), overdue.dueAt());
        assertEquals(Instant.parse("2026-01-05T10:15:00Z"), overdue.at());
    }

    /**
     * The bug of the code this plan came from: a check that fell outside the maintenance window was postponed by a
     * whole interval, here to Monday 19 January 10:00, again outside the Saturday window, and so on forever. It must
     * wait for the next window opening instead.
     */
    @Test
    void missedWindowWaitsForNextOpeningNotNextInterval() {
        MaintenanceWindowSettings saturdayNight = MaintenanceWindowSettings.on("02:00", "04:00", "America/New_York",
                List.of(6));
        // last check Monday 5 January 10:00 EST; due Monday 12 January 10:00 EST, when the window is closed
        NextCheck n = next(0.5, policy(7, saturdayNight), "2026-01-05T15:00:00Z",
                Instant.parse("2026-01-05T15:00:00Z"));
        assertEquals(Instant.parse("2026-01-12T15:00:00Z"), n.dueAt());
        assertEquals(Reason.OUTSIDE_WINDOW, n.reason());
        assertEquals(Optional.of("OUTSIDE_WINDOW"), n.reason().errorCode());
        // Saturday 17 January 02:00 EST = 07:00Z, plus half of the 1 h jitter bound
        assertEquals(Instant.parse("2026-01-17T07:30:00Z"), n.at());
        assertTrue(n.at().isBefore(Instant.parse("2026-01-19T15:00:00Z")), "not the next interval");
        assertTrue(new MaintenanceWindow(saturdayNight).isOpen(n.at()));
    }

    @Test
    void dueInsideOpenWindowKeepsJitterInsideIt() {
        // window 09:00-10:00 UTC; due 09:40: only 20 minutes left, so at most 10 minutes of jitter
        NextCheck n = next(0.99, policy(1, MaintenanceWindowSettings.daily("09:00", "10:00", "UTC")),
                "2026-01-04T09:40:00Z", Instant.parse("2026-01-04T09:40:00Z"));
        assertEquals(Reason.INTERVAL, n.reason());
        assertEquals(Instant.parse("2026-01-05T09:49:54Z"), n.at()); // 0.99 × 600 s = 594 s
    }

    @Test
    void springForwardWindowOpensAtTheMovedStartAndJitterFitsItsRealLength() {
        // New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT; the window 02:00-04:00 opens at 03:00 EDT (07:00Z)
        // and lasts one real hour, so the jitter is at most 30 minutes
        MaintenanceWindowSettings nightly = MaintenanceWindowSettings.daily("02:00", "04:00", "America/New_York");
        NextCheck n = next(0.5, policy(1, nightly), "2026-03-06T17:00:00Z", Instant.parse("2026-03-06T17:00:00Z"));
        assertEquals(Instant.parse("2026-03-07T17:00:00Z"), n.dueAt());
        assertEquals(Reason.OUTSIDE_WINDOW, n.reason());
        assertEquals(Instant.parse("2026-03-08T07:15:00Z"), n.at());
    }

    @Test
    void intervalKeepsWallClockTimeAcrossSpringForward() {
        // a daily check at 10:00 EST on 7 March is due at 10:00 EDT on 8 March: 23 real hours later
        MaintenanceWindowSettings office = MaintenanceWindowSettings.daily("09:00", "17:00", "America/New_York");
        NextCheck n = next(0.5, policy(1, office), "2026-03-07T15:00:00Z", Instant.parse("2026-03-07T15:00:00Z"));
        assertEquals(Instant.parse("2026-03-08T14:00:00Z"), n.dueAt());
        assertEquals(Reason.INTERVAL, n.reason());
        assertEquals(Instant.parse("2026-03-08T14:30:00Z"), n.at());
    }

    @Test
    void fallBackWindowOpensOnceAndLastsTwoRealHours() {
        // New York, 1 November 2026: 01:00-02:00 opens at the first 01:00 (EDT, 05:00Z) and ends at 02:00 EST
        // (07:00Z); two real hours allow the full hour of jitter (0.9 h), wall-clock length would allow 30 minutes
        MaintenanceWindowSettings nightly = MaintenanceWindowSettings.daily("01:00", "02:00", "America/New_York");
        NextCheck n = next(0.9, policy(1, nightly), "2026-10-30T16:00:00Z", Instant.parse("2026-10-30T16:00:00Z"));
        assertEquals(Instant.parse("2026-10-31T16:00:00Z"), n.dueAt());
        assertEquals(Reason.OUTSIDE_WINDOW, n.reason());
        assertEquals(Instant.parse("2026-11-01T05:54:00Z"), n.at());
    }

    @Test
    void intervalKeepsWallClockTimeAcrossFallBackInTheWindowZoneEvenWhenTheWindowIsOff() {
        MaintenanceWindowSettings off = new MaintenanceWindowSettings(false, 2, 0, 4, 0, "America/New_York",
                List.of(0, 1, 2, 3, 4, 5, 6));
        // 10:00 EDT on 31 October, then 10:00 EST on 1 November: 25 real hours
        NextCheck n = next(0.0, policy(1, off), "2026-10-31T14:00:00Z", Instant.parse("2026-10-31T14:00:00Z"));
        assertEquals(Instant.parse("2026-11-01T15:00:00Z"), n.at());
    }

    @Test
    void overnightWindowHoldsTheNextMorningAndOpensAgainNextWeek() {
        // Saturday 22:00 to Sunday 04:00, Berlin (CET, UTC+1); Sunday is not a listed day
        MaintenanceWindowSettings saturdayNight = MaintenanceWindowSettings.on("22:00", "04:00", "Europe/Berlin",
                List.of(6));
        // due Sunday 11 January 02:00 CET: inside Saturday's window, 2 h left, so at most 1 h of jitter
        NextCheck inside = next(0.5, policy(1, saturdayNight), "2026-01-10T01:00:00Z",
                Instant.parse("2026-01-10T01:00:00Z"));
        assertEquals(Reason.INTERVAL, inside.reason());
        assertEquals(Instant.parse("2026-01-11T01:30:00Z"), inside.at());
        // due Monday 12 January 05:00 CET: waits for Saturday 17 January 22:00 CET (21:00Z)
        NextCheck after = next(0.5, policy(1, saturdayNight), "2026-01-11T04:00:00Z",
                Instant.parse("2026-01-11T04:00:00Z"));
        assertEquals(Reason.OUTSIDE_WINDOW, after.reason());
        assertEquals(Instant.parse("2026-01-17T21:30:00Z"), after.at());
    }

    @Test
    void checkDueWhileWindowClosedWaitsWithOutsideWindow() {
        // never checked; now (Monday 10:00Z) the 02:00-04:00 UTC window is closed: wait for Tuesday 02:00
        NextCheck n = new CheckSchedule(fixed(0.0))
                .next(policy(7, MaintenanceWindowSettings.daily("02:00", "04:00", "UTC")), Optional.empty(),
                        CLOCK.instant())
                .orElseThrow();
        assertEquals(CLOCK.instant(), n.dueAt());
        assertEquals(Reason.OUTSIDE_WINDOW, n.reason());
        assertEquals(Optional.of("OUTSIDE_WINDOW"), n.reason().errorCode());
        assertEquals(Instant.parse("2026-01-06T02:00:00Z"), n.at());
    }

    @Test
    void windowThatNeverOpensSchedulesNoCheck() {
        UpdatePolicy p = policy(1, MaintenanceWindowSettings.on("02:00", "04:00", "UTC", List.of()));
        assertEquals(Optional.empty(), new CheckSchedule(fixed(0.5)).next(p, Optional.empty(), CLOCK.instant()));
    }

    @Test
    void seededJitterIsRepeatableAndBounded() {
        UpdatePolicy nightly = policy(1, MaintenanceWindowSettings.daily("02:00", "04:00", "America/New_York"));
        CheckSchedule a = new CheckSchedule(new Random(42));
        CheckSchedule b = new CheckSchedule(new Random(42));
        MaintenanceWindow window = new MaintenanceWindow(nightly.maintenanceWindow());
        List<Instant> seen = new ArrayList<>();
        Instant last = Instant.parse("2026-01-01T12:00:00Z");
        for (int i = 0; i < 500; i++) {
            NextCheck x = a.next(nightly, Optional.of(last), last).orElseThrow();
            assertEquals(x, b.next(nightly, Optional.of(last), last).orElseThrow());
            assertTrue(window.isOpen(x.at()), x.toString());
            Instant opening = window.nextOpening(x.dueAt()).orElseThrow();
            assertFalse(x.at().isBefore(opening), x.toString());
            assertTrue(Duration.between(opening, x.at()).compareTo(CheckSchedule.MAX_JITTER) < 0, x.toString());
            seen.add(x.at());
            last = x.at().plus(Duration.ofHours(10));
        }
        assertTrue(seen.stream().map(t -> t.getEpochSecond() % 3600).distinct().count() > 100, "jitter varies");
        // without a window: never more than an hour after due
        CheckSchedule c = new CheckSchedule(new Random(7));
        for (int i = 0; i < 500; i++) {
            NextCheck x = c.next(noWindow(1), Optional.of(CLOCK.instant()), CLOCK.instant()).orElseThrow();
            Duration jitter = Duration.between(x.dueAt(), x.at());
            assertFalse(jitter.isNegative());
            assertTrue(jitter.compareTo(CheckSchedule.MAX_JITTER) < 0, jitter.toString());
        }
    }

    @Test
    void unreachableServerIsRetriedAtBackoffButNeverAfterTheRegularCheck() {
        Instant now = CLOCK.instant();
        Backoff backoff = Backoff.of(Duration.ofMinutes(1), Duration.ofMinutes(30), 3).withRandom(new Random(3));
        Optional<NextCheck> regular = Optional.of(new NextCheck(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(1)),
                Reason.INTERVAL));
        Instant retry = CheckSchedule.retryWhileUnreachable(backoff, 1, now, regular).orElseThrow();
        assertFalse(retry.isBefore(now));
        assertFalse(retry.isAfter(now.plus(Duration.ofMinutes(1))), retry.toString());
        Optional<NextCheck> soon = Optional.of(new NextCheck(now.plusSeconds(5), now, Reason.INTERVAL));
        Instant capped = CheckSchedule.retryWhileUnreachable(backoff, 2, now, soon).orElseThrow();
        assertFalse(capped.isAfter(now.plusSeconds(5)));
        // backoff used up: the regular schedule takes over; nothing scheduled: no retry either
        assertEquals(regular.get().at(), CheckSchedule.retryWhileUnreachable(backoff, 3, now, regular).orElseThrow());
        assertEquals(Optional.empty(), CheckSchedule.retryWhileUnreachable(backoff, 3, now, Optional.empty()));
    }
}
