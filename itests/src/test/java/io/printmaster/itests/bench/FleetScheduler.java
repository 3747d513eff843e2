package io.printmaster.itests.bench;

import io.printmaster.itests.bench.AgentTask.Kind;
import java.util.Random;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fleet's schedule: what every agent does when, and at most {@code --connections} requests in flight. One
 * dispatcher thread hands due tasks to the {@link AgentBehaviour}; each request gives its place back when answered.
 */
final class FleetScheduler {
    /** The periodic check-ins, by due time. */
    private final DelayQueue<AgentTask> schedule = new DelayQueue<>();
    /** Update checks after a hold and the steps of update runs, by due time. */
    private final DelayQueue<AgentTask> timers = new DelayQueue<>();
    /** What agents do at once (a push event's check-in, a command's update check, the check-in after a run). */
    private final LinkedBlockingQueue<AgentTask> urgent = new LinkedBlockingQueue<>();
    final Semaphore inFlight;
    final AtomicBoolean stopping = new AtomicBoolean();
    private final int connections;
    private final SimMetrics metrics;

    FleetScheduler(int connections, SimMetrics metrics) {
        this.connections = connections;
        this.metrics = metrics;
        this.inFlight = new Semaphore(connections);
    }

    /** Every agent's first check-in, at random (seeded) within the first interval from {@code start}. */
    void firstCheckIns(SimulatedAgent[] agents, long start, int intervalSeconds) {
        Random r = new Random(42);
        for (SimulatedAgent a : agents) {
            schedule.add(new AgentTask(start + (long) (r.nextDouble() * intervalSeconds * 1e9), a, Kind.CHECK_IN, 0));
        }
    }

    /**
     * Takes a place among the requests in flight, then the most urgent due action: first what an agent does at once
     * (a check-in a push event or a finished run asks for, an update check a command asks for), then its run's and
     * holds' timers, then the periodic check-ins. A server slower than the schedule thus delays the periodic polls
     * (reported as lateness), not an agent's own reaction, as with real agents, which do not queue behind each other.
     */
    void dispatch(AgentBehaviour behaviour) {
        while (!stopping.get()) {
            AgentTask t = null;
            try {
                inFlight.acquire();
                while (t == null && !stopping.get()) {
                    t = urgent.poll();
                    if (t == null) {
                        t = timers.poll();
                    }
                    if (t == null) {
                        t = schedule.poll(1, TimeUnit.MILLISECONDS);
                    }
                    if (t != null && t.kind() == Kind.UPDATE_CHECK) {
                        synchronized (t.agent()) {
                            if (t.agent().updateCheckDue != t.token() || t.agent().inRun) {
                                t = null; // replaced by an earlier one, or a run already started
                            } else {
                                t.agent().updateCheckDue = 0;
                            }
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
            if (t == null || stopping.get()) {
                inFlight.release();
                return;
            }
            if (metrics.measuring && t.kind() == Kind.CHECK_IN) {
                metrics.lateness.recordNanos(System.nanoTime() - t.due());
            }
            try {
                switch (t.kind()) {
                    case CHECK_IN, CHECK_IN_NOW, UPDATE_CHECK -> behaviour.checkIn(t);
                    case RUN_STEP -> behaviour.runStep(t.agent());
                }
            } catch (RuntimeException e) {
                inFlight.release();
                metrics.error("simulator", e, null);
            }
        }
    }

    void at(long due, SimulatedAgent a, Kind kind) {
        if (stopping.get()) {
            return;
        }
        AgentTask t = new AgentTask(due, a, kind, due);
        if (kind == Kind.CHECK_IN) {
            schedule.add(t);
        } else if (kind == Kind.CHECK_IN_NOW || due <= System.nanoTime()) {
            urgent.add(t);
        } else {
            timers.add(t);
        }
    }

    /** An update check (a check-in with a run id) after {@code seconds}, unless one is due sooner. */
    void updateCheckIn(SimulatedAgent a, double seconds) {
        long due = System.nanoTime() + (long) (seconds * 1e9);
        synchronized (a) {
            if (a.inRun || (a.updateCheckDue != 0 && a.updateCheckDue <= due)) {
                return;
            }
            a.updateCheckDue = due;
        }
        at(due, a, Kind.UPDATE_CHECK);
    }

    int queued() {
        return schedule.size() + timers.size() + urgent.size();
    }

    int inFlightCount() {
        return connections - inFlight.availablePermits();
    }
}
