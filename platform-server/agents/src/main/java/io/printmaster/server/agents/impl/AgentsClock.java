package io.printmaster.server.agents.impl;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The time check-ins and telemetry are recorded at (and the health flags judged at): a {@link Clock} service
 * registered with {@code printmaster.clock=virtual} when one is present (the test hook the rollouts bundle reads too:
 * the fleet simulator moves days in seconds, so an agent can go stale in a test), else the system clock.
 */
@Component(service = AgentsClock.class)
public class AgentsClock extends Clock {
    static final String VIRTUAL_FILTER = "(printmaster.clock=virtual)";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = VIRTUAL_FILTER)
    private volatile Clock virtual;

    /**
     * To the microsecond: what PostgreSQL's TIMESTAMP keeps (Derby keeps nanoseconds), so a time an answer shows
     * right after a write (a command's {@code created_at}) is the one every later read shows on both engines.
     */
    @Override
    public Instant instant() {
        Clock c = virtual;
        return (c != null ? c.instant() : Instant.now()).truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return Clock.fixed(instant(), zone); // not used: the stores read instants only
    }
}
