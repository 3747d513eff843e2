package io.printmaster.itests.sim;

import java.time.Duration;

/**
 * What a simulated agent does with one update it is offered: how long the run takes (virtual time, from taking the
 * offer to reporting its end) and how it ends.
 *
 * @param kind      how the run ends
 * @param errorCode the code the agent reports for {@link Kind#FAIL} and {@link Kind#ROLL_BACK}; null otherwise
 * @param duration  virtual time from taking the offer to the terminal report (for {@link Kind#SILENT}: none ever comes)
 * @param downloadMillis the {@code download_time_ms} the run reports with its {@code staging} transition (as the
 *                  real worker does once the artifact is in), or null to report none
 */
public record Outcome(Kind kind, String errorCode, Duration duration, Long downloadMillis) {
    public enum Kind {
        /** installs and reports {@code succeeded}; runs the new version from then on */
        SUCCEED,
        /** reports {@code failed} with {@link #errorCode()}; keeps its version */
        FAIL,
        /** the new version failed its health check: reports {@code rolled_back}; keeps its version */
        ROLL_BACK,
        /** takes the offer and is never heard of again (powered off, network gone) */
        SILENT
    }

    /** The default run length: long enough for a few re-checks while "downloading". */
    public static final Duration DEFAULT_DURATION = Duration.ofMinutes(3);

    public Outcome(Kind kind, String errorCode, Duration duration) {
        this(kind, errorCode, duration, null);
    }

    public Outcome {
        if (duration == null || duration.isNegative()) {
            throw new IllegalArgumentException("duration must be zero or positive");
        }
    }

    public static Outcome succeed() {
        return new Outcome(Kind.SUCCEED, null, DEFAULT_DURATION);
    }

    public static Outcome fail(String errorCode) {
        return new Outcome(Kind.FAIL, errorCode, DEFAULT_DURATION);
    }

    public static Outcome rollBack() {
        return new Outcome(Kind.ROLL_BACK, "HEALTH_CHECK", DEFAULT_DURATION);
    }

    /** The same outcome, reporting this download time. */
    public Outcome downloading(long millis) {
        return new Outcome(kind, errorCode, duration, millis);
    }

    public static Outcome silent() {
        return new Outcome(Kind.SILENT, null, Duration.ZERO);
    }

    /** The same outcome after {@code d} of virtual time. */
    public Outcome taking(Duration d) {
        return new Outcome(kind, errorCode, d, downloadMillis);
    }
}
