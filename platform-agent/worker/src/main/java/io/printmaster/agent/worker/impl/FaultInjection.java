package io.printmaster.agent.worker.impl;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash points for the end-to-end tests (docs/admin-guide.md, "Testing crash recovery"): with the environment variable
 * {@code PM_AGENT_CRASH_AT} set to {@code download}, {@code staging} or {@code applying}, the agent halts the JVM
 * ({@link Runtime#halt}, no shutdown hooks: what {@code kill -9} or a power cut does) the first time the run reaches
 * that point. Unset in production, where this does nothing.
 */
final class FaultInjection {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);
    static final String VARIABLE = "PM_AGENT_CRASH_AT";
    /** The exit status of a process killed by SIGKILL, which this imitates. */
    static final int KILLED = 137;

    /** The points. */
    enum Point { download, staging, applying }

    private final String armed;
    private final Runnable halt;

    FaultInjection(String value, Runnable halt) {
        this.armed = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        this.halt = halt;
        if (!armed.isEmpty()) {
            LOG.warn("{}={} is set: this agent will halt itself when an update reaches that point (crash test)",
                    VARIABLE, armed);
        }
    }

    static FaultInjection fromEnvironment() {
        return new FaultInjection(System.getenv(VARIABLE), () -> Runtime.getRuntime().halt(KILLED));
    }

    static FaultInjection none() {
        return new FaultInjection(null, () -> { });
    }

    /** Halts here when armed for {@code point}. */
    void reached(Point point) {
        if (armed.equals(point.name())) {
            LOG.warn("crash test: halting at {}", point);
            halt.run();
        }
    }
}
