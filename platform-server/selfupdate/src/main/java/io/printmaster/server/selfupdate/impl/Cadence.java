package io.printmaster.server.selfupdate.impl;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How often the server looks for a newer release of itself by its own accord ("Update now" works with any). */
enum Cadence {
    DISABLED("disabled", null),
    DAILY("daily", Duration.ofDays(1)),
    WEEKLY("weekly", Duration.ofDays(7)),
    /** Thirty days: calendar months differ in length, a check cadence needs no such precision. */
    MONTHLY("monthly", Duration.ofDays(30));

    private final String wireName;
    private final Duration period;

    Cadence(String wireName, Duration period) {
        this.wireName = wireName;
        this.period = period;
    }

    String wireName() {
        return wireName;
    }

    /** The time between checks; null for {@link #DISABLED}. */
    Duration period() {
        return period;
    }

    static Cadence fromWireName(String name) {
        if (name != null) {
            String n = name.strip().toLowerCase(Locale.ROOT);
            for (Cadence c : values()) {
                if (c.wireName.equals(n)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("cadence must be one of " + names() + ", not '" + name + "'");
    }

    static String names() {
        return Arrays.stream(values()).map(Cadence::wireName).collect(Collectors.joining(", "));
    }
}
