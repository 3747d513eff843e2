package io.printmaster.itests.sim;

import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.core.wire.UpdateOffer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Many {@link SimulatedAgent}s against one real server, on a {@link VirtualClock}: the test moves the clock, then
 * {@link #step()} lets every agent that is due act, in parallel on a small pool, and returns when all have. Nothing
 * sleeps: a day of a fleet's life is as many steps as the test asks for, each as long as its HTTP requests.
 *
 * <p>Besides the agents, the simulator keeps its own record: every check-in (who, which run, when in virtual and in
 * wall time, what was offered) and its own count of the agents that hold a rollout slot. That count rises after an
 * offer is read and falls before the report that ends the run is sent (and, for a silent agent, once the slot timeout
 * has passed), so it never exceeds what the server itself holds: when it is above {@code max_concurrent}, the server
 * handed out too many slots.
 */
public final class FleetSimulator implements AutoCloseable {
    /** One check-in as the simulator saw it. */
    public record CheckIn(String agentId, String runId, boolean plain, Instant virtualAt, long sentNanos,
                          long answeredNanos, String offeredVersion, String rolloutId, long retryAfterSeconds) {
        public boolean offered() {
            return offeredVersion != null;
        }
    }

    /** The end of a run as the agent reported it. */
    public record RunEnd(String agentId, String status, String errorCode, Instant virtualAt) {
    }

    private final VirtualClock clock;
    private final AgentWire wire;
    private final ExecutorService pool;
    private final int threads;
    private final Random random;
    private final List<SimulatedAgent> agents = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<CheckIn> checkIns = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<RunEnd> runEnds = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
    private final AtomicInteger holding = new AtomicInteger();
    private final AtomicInteger maxHolding = new AtomicInteger();
    private volatile Duration slotTimeout = Duration.ofSeconds(7200);
    private volatile boolean batchedTelemetry;
    private final SimulatedAgent.Host host = new SimulatedAgent.Host() {
        @Override
        public void serverError(SimulatedAgent agent, String what) {
            serverErrors.add(agent.id() + " at " + clock.instant() + ": " + what);
        }

        @Override
        public boolean batchedTelemetry() {
            return batchedTelemetry;
        }

        @Override
        public AgentWire wire() {
            return wire;
        }

        @Override
        public Instant now() {
            return clock.instant();
        }

        @Override
        public void checkedIn(SimulatedAgent agent, String runId, boolean plain, long sentNanos, CheckInAnswer answer) {
            UpdateOffer offer = answer.update();
            checkIns.add(new CheckIn(agent.id(), runId, plain, clock.instant(), sentNanos, System.nanoTime(),
                    offer == null ? null : offer.version(), offer == null ? null : offer.rolloutId(),
                    answer.retryAfterSeconds()));
        }

        @Override
        public void slotTaken(SimulatedAgent agent, UpdateOffer offer) {
            int now = holding.incrementAndGet();
            maxHolding.accumulateAndGet(now, Math::max);
        }

        @Override
        public void slotEnding(SimulatedAgent agent, String status, String errorCode) {
            holding.decrementAndGet();
            runEnds.add(new RunEnd(agent.id(), status, errorCode, clock.instant()));
        }
    };

    /**
     * @param baseUrl the server, {@code http://127.0.0.1:<port>}
     * @param threads how many agents act at once (a few: the server shares the machine)
     * @param seed    for the spread of first checks, so a run can be repeated
     */
    public FleetSimulator(String baseUrl, VirtualClock clock, int threads, long seed) {
        this.clock = clock;
        this.wire = new AgentWire(baseUrl);
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "fleet-sim");
            t.setDaemon(true);
            return t;
        });
        this.random = new Random(seed);
    }

    /** The slot timeout the server runs with, for the simulator's own count of silent agents' slots. */
    public FleetSimulator slotTimeout(Duration timeout) {
        this.slotTimeout = timeout;
        return this;
    }

    /**
     * Whether agents report the end of a run in one {@code TelemetryBatch} (as a worker that buffered them) instead of
     * one request per transition (the default).
     */
    public FleetSimulator batchedTelemetry(boolean batched) {
        this.batchedTelemetry = batched;
        return this;
    }

    public VirtualClock clock() {
        return clock;
    }

    /**
     * Enrolls {@code count} agents through the real API with one join token (its {@code max_uses} must allow them),
     * a few at a time. Their first update check falls at a random point within {@code firstCheckWithin} from now
     * (zero: all due now); afterwards each checks every {@code checkInterval} unless told to come back earlier.
     *
     * @param prefix hostnames are {@code <prefix>-0001} …
     */
    public List<SimulatedAgent> enroll(String joinToken, int count, String prefix, String version,
                                       Duration firstCheckWithin, Duration checkInterval) throws Exception {
        Instant now = clock.instant();
        List<Callable<SimulatedAgent>> tasks = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String hostname = String.format("%s-%04d", prefix, i);
            long offset = firstCheckWithin.isZero() ? 0 : (long) (random.nextDouble() * firstCheckWithin.toSeconds());
            tasks.add(() -> {
                EnrollAnswer a = wire.enroll(new EnrollRequest(joinToken, hostname, "linux", "amd64", version));
                return new SimulatedAgent(a.agentId(), a.credential(), hostname, "linux", "amd64", version,
                        now.plusSeconds(offset), checkInterval);
            });
        }
        // the enrollment route counts an attempt as a failure until it succeeds (a guessing brake per address):
        // at most 4 in flight stays well under its limit of 10
        ExecutorService enrollers = Executors.newFixedThreadPool(Math.min(4, threads));
        try {
            List<SimulatedAgent> enrolled = runAll(tasks, enrollers);
            agents.addAll(enrolled);
            return enrolled;
        } finally {
            enrollers.shutdownNow();
        }
    }

    /** Every agent this simulator drives. */
    public List<SimulatedAgent> agents() {
        return List.copyOf(agents);
    }

    /**
     * Lets every due agent act once, in parallel; returns how many acted. A silent agent's slot leaves the
     * simulator's count once the slot timeout has passed (the server frees it then at the earliest).
     *
     * @throws IOException when any agent's request failed (the first failure, the others suppressed)
     */
    public int step() throws Exception {
        Instant now = clock.instant();
        List<Callable<Boolean>> due = new ArrayList<>();
        for (SimulatedAgent a : agents) {
            if (a.releaseSilentSlot(now, slotTimeout)) {
                holding.decrementAndGet();
                runEnds.add(new RunEnd(a.id(), "silent", "SLOT_TIMEOUT", now));
            }
            if (!a.nextActionAt().isAfter(now)) {
                due.add(() -> a.act(host));
            }
        }
        return (int) runAll(due, pool).stream().filter(b -> b).count();
    }

    /** Moves the clock by {@code d}, then {@link #step()}s. */
    public int advance(Duration d) throws Exception {
        clock.advance(d);
        return step();
    }

    /**
     * Steps through {@code total} of virtual time in steps of {@code quantum}, calling {@code afterStep} after each
     * (where a test samples the server); stops early when it answers false.
     */
    public void run(Duration total, Duration quantum, StepCheck afterStep) throws Exception {
        Instant end = clock.instant().plus(total);
        while (clock.instant().isBefore(end)) {
            advance(quantum);
            if (!afterStep.check(clock.instant())) {
                return;
            }
        }
    }

    /** What a test does after each step; false stops the run. */
    @FunctionalInterface
    public interface StepCheck {
        boolean check(Instant now) throws Exception;
    }

    /** The simulator's own count of agents holding a slot now. */
    public int holding() {
        return holding.get();
    }

    /** Starts counting {@link #maxHolding()} afresh from those holding a slot now (a new phase of a test). */
    public void resetMaxHolding() {
        maxHolding.set(holding.get());
    }

    /** The most agents that held a slot at once, as the simulator counted them. */
    public int maxHolding() {
        return maxHolding.get();
    }

    public List<CheckIn> checkIns() {
        return List.copyOf(checkIns);
    }

    public List<CheckIn> checkIns(Predicate<CheckIn> filter) {
        return checkIns.stream().filter(filter).toList();
    }

    /**
     * The requests the server failed (5xx, or no answer within the request timeout), each repeated by its agent as
     * a real agent does; a test
     * may tolerate them, but they are server defects.
     */
    public List<String> serverErrors() {
        return List.copyOf(serverErrors);
    }

    public List<RunEnd> runEnds() {
        return List.copyOf(runEnds);
    }

    /** The offers of new runs (not the repeats a slot holder gets when it asks again), in arrival order. */
    public List<CheckIn> newOffers() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<CheckIn> out = new ArrayList<>();
        for (CheckIn c : checkIns) {
            if (c.offered() && c.runId() != null && seen.add(c.runId())) {
                out.add(c);
            }
        }
        return out;
    }

    private static <T> List<T> runAll(Collection<? extends Callable<T>> tasks, ExecutorService on) throws Exception {
        if (tasks.isEmpty()) {
            return List.of();
        }
        List<Future<T>> futures = on.invokeAll(tasks);
        List<T> results = new ArrayList<>();
        Exception first = null;
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                Exception cause = e.getCause() instanceof Exception ex ? ex : new IOException(e.getCause());
                if (first == null) {
                    first = cause;
                } else {
                    first.addSuppressed(cause);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
