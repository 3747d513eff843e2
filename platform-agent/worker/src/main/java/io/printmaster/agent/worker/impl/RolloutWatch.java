package io.printmaster.agent.worker.impl;

import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.UpdateOffer;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While a run downloads and stages an agent release that a rollout offered, asks the server every {@code interval}
 * (a check-in with the run's id) whether it still offers that release: an admin's abort (or an automatic pause that
 * withdrew the offer) must stop agents that are downloading within about a minute, not after they installed. When an
 * answer of the server no longer offers {@code version}, the run is asked to cancel ({@code onAbort}); it stops at
 * its next safe point and reports {@code cancelled} with {@code ROLLOUT_ABORTED}. A re-check that fails (the server
 * cannot be reached, an error status, an unreadable answer) changes nothing: an unreachable server is not an abort.
 *
 * <p>One thread per watched run, ended by {@link #close()} before the point of no return (the trial pointer, the
 * swap), so no re-check runs while the release is being switched.
 */
final class RolloutWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutWatch.class);

    private final Enrollment enrollment;
    private final String runId;
    private final String rolloutId;
    private final String version;
    private final Duration interval;
    private final Runnable onAbort;
    private final Object lock = new Object();
    private final Thread thread;
    private boolean closed;
    private volatile boolean aborted;
    private volatile int rechecks;

    private RolloutWatch(Enrollment enrollment, String runId, String rolloutId, String version, Duration interval,
                         Runnable onAbort) {
        this.enrollment = enrollment;
        this.runId = runId;
        this.rolloutId = rolloutId;
        this.version = version;
        this.interval = interval;
        this.onAbort = onAbort;
        this.thread = new Thread(this::watch, "pm-rollout-recheck-" + runId);
        thread.setDaemon(true);
    }

    /** Starts watching; {@code onAbort} is called at most once, on the watch's thread. */
    static RolloutWatch start(Enrollment enrollment, String runId, String rolloutId, String version,
                              Duration interval, Runnable onAbort) {
        RolloutWatch w = new RolloutWatch(enrollment, runId, rolloutId, version, interval, onAbort);
        w.thread.start();
        return w;
    }

    /** Whether an answer of the server withdrew the release (the run was asked to cancel for that reason). */
    boolean aborted() {
        return aborted;
    }

    /** How many re-checks completed (successful or not). */
    int rechecks() {
        return rechecks;
    }

    String rolloutId() {
        return rolloutId;
    }

    private void watch() {
        try {
            while (true) {
                synchronized (lock) {
                    long until = System.nanoTime() + interval.toNanos();
                    while (!closed) {
                        long left = until - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        lock.wait(Math.max(1, left / 1_000_000));
                    }
                    if (closed) {
                        return;
                    }
                }
                Optional<CheckIn> c = enrollment.checkInNow(checkInTimeout(), runId);
                rechecks++;
                if (withdrawn(c)) {
                    synchronized (lock) {
                        if (closed) {
                            return; // past the safe point: too late to cancel, the install goes on
                        }
                        aborted = true;
                    }
                    LOG.warn("update run {}: the server no longer offers {} (rollout {} was aborted or paused); "
                            + "cancelling at the next safe point", runId, version, rolloutId);
                    onAbort.run();
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed while a re-check was under way: its answer does not matter any more
        } catch (RuntimeException | LinkageError e) {
            // never let a re-check fail the run: without an answer the release is not withdrawn
            LOG.warn("update run {}: re-checking rollout {} failed ({}); the run goes on", runId, rolloutId,
                    e.toString());
        }
    }

    /** Whether a successful answer of the server stopped offering the version this run installs. */
    private boolean withdrawn(Optional<CheckIn> c) {
        if (c.isEmpty() || !c.get().succeeded()) {
            return false;
        }
        Optional<CheckInAnswer> a = c.get().wireAnswer();
        if (a.isEmpty()) {
            return false;
        }
        Optional<UpdateOffer> offer = a.get().updateAvailable() ? a.get().offeredUpdate() : Optional.empty();
        return offer.map(UpdateOffer::version).filter(version::equals).isEmpty();
    }

    private Duration checkInTimeout() {
        Duration max = Duration.ofSeconds(60);
        return interval.compareTo(max) < 0 ? max : interval;
    }

    /**
     * Stops watching and waits for the watch's thread: a re-check under way is interrupted and its answer ignored.
     * After this returns, {@link #aborted()} no longer changes.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        if (Thread.currentThread() != thread) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
