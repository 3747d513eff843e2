package io.printmaster.itests.sim;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A clock that stands still until the test moves it: the time of the simulated fleet and, registered as the
 * server's {@link Clock} service ({@value #PROPERTY}={@value #VALUE}), of everything time-based in the server's
 * rollouts (wave delays, slot timeouts, retry_after). Time only moves forward, so the server never sees it go back.
 */
public final class VirtualClock extends Clock {
    /** The service property the rollouts bundle selects its clock by. */
    public static final String PROPERTY = "printmaster.clock";
    public static final String VALUE = "virtual";

    private final AtomicReference<Instant> now;

    public VirtualClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** Starts at the wall clock's second, so what the server stores with its own clock stays comparable. */
    public static VirtualClock startingNow() {
        return new VirtualClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        // the rollouts work in UTC instants only; a zone would not change what instant() answers
        return this;
    }

    /** Moves the time forward by {@code step} (not negative); answers the new time. */
    public Instant advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("virtual time only moves forward; got " + step);
        }
        return now.updateAndGet(t -> t.plus(step));
    }

    /** Moves the time forward to {@code target} when it lies ahead; answers the time now. */
    public Instant advanceTo(Instant target) {
        return now.updateAndGet(t -> target.isAfter(t) ? target : t);
    }

    /** Registers this clock as the server's virtual {@link Clock} service; unregister it when the test ends. */
    public ServiceRegistration<Clock> register(BundleContext context) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PROPERTY, VALUE);
        // above any other Clock service, so a greedy reference switches to it at once
        props.put("service.ranking", Integer.MAX_VALUE);
        return context.registerService(Clock.class, this, props);
    }

    @Override
    public String toString() {
        return "VirtualClock[" + now.get() + "]";
    }
}
