package io.printmaster.agent.hotswap.impl;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash points of a swap for the end-to-end crash tests, armed like the update worker's by the environment variable
 * {@code PM_AGENT_CRASH_AT}: {@code hotswap_swapping} (journal written, no bundle changed yet),
 * {@code hotswap_changed} (bundles updated, installed, uninstalled and refreshed, before the gate) and
 * {@code hotswap_rolling_back} (rollback journalled, before the previous bytes are back). The JVM halts
 * ({@link Runtime#halt}: what {@code kill -9} does) the first time a swap reaches the point. Unset in production.
 */
final class CrashPoints {
    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
    static final String VARIABLE = "PM_AGENT_CRASH_AT";
    static final String SWAPPING = "hotswap_swapping";
    static final String CHANGED = "hotswap_changed";
    static final String ROLLING_BACK = "hotswap_rolling_back";
    /** The exit status of a process killed by SIGKILL, which this imitates. */
    private static final int KILLED = 137;

    private final String armed;
    private final Runnable halt;

    CrashPoints(String value, Runnable halt) {
        this.armed = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        this.halt = halt;
        if (armed.startsWith("hotswap_")) {
            LOG.warn("{}={} is set: this agent will halt itself when a hot swap reaches that point (crash test)",
                    VARIABLE, armed);
        }
    }

    static CrashPoints fromEnvironment() {
        return new CrashPoints(System.getenv(VARIABLE), () -> Runtime.getRuntime().halt(KILLED));
    }

    static CrashPoints none() {
        return new CrashPoints(null, () -> { });
    }

    void reached(String point) {
        if (armed.equals(point)) {
            LOG.warn("crash test: halting at {}", point);
            halt.run();
        }
    }
}
