package io.printmaster.server.rollouts.impl;

import java.time.Clock;
import java.time.Instant;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The time every rollout decision reads (slot timeouts, wave delays, retry_after, state timestamps): a
 * {@link Clock} service registered with {@code printmaster.clock=virtual} when one is present (a test hook: the fleet
 * simulator moves time in seconds through days of a rollout), else the system clock.
 */
@Component(service = RolloutClock.class)
public class RolloutClock {
    static final String VIRTUAL_FILTER = "(printmaster.clock=virtual)";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = VIRTUAL_FILTER)
    private volatile Clock virtual;

    private final Clock fallback;

    public RolloutClock() {
        this(Clock.systemUTC());
    }

    /** A clock that always reads {@code clock} (tests outside OSGi). */
    RolloutClock(Clock clock) {
        this.fallback = clock;
    }

    Instant now() {
        Clock c = virtual;
        return (c != null ? c : fallback).instant();
    }
}
