package io.printmaster.agent.worker.impl;

import io.printmaster.core.retry.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running loop on a supervised single-thread executor: when the loop's task dies of an unexpected exception
 * (or error), the failure is recorded for the health check ({@link UpdateLoopHealthCheck}) and the loop is started
 * again after a backoff ({@code base × 2^(n-1)} up to the maximum, n counting failures in a row; a loop that ran
 * longer than the maximum starts the count again), instead of a thread that dies silently.
 */
final class SupervisedLoop {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisedLoop.class);

    /** The loop. Returns when it is asked to stop; an interrupt means the same. */
    interface Body {
        void run() throws InterruptedException;
    }

    /** Where the loop is. */
    enum Phase {
        /** Started, its task not running yet. */
        STARTING,
        RUNNING,
        /** Its task died; it starts again at {@link Failure#restartAt}. */
        WAITING_TO_RESTART,
        /** Ended as asked, or stopped. */
        STOPPED
    }

    /**
     * The last unexpected end of the loop's task.
     *
     * @param failures how many times it died since the start
     */
    record Failure(Instant at, String error, int failures, Instant restartAt) {
    }

    private final String name;
    private final Body body;
    private final Backoff backoff;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private volatile Thread thread;
    private volatile Phase phase = Phase.STARTING;
    private volatile Failure lastFailure;
    private int inARow;
    private int failures;

    SupervisedLoop(String name, Body body, Backoff backoff, Clock clock) {
        this.name = name;
        this.body = body;
        this.backoff = backoff;
        this.clock = clock;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            thread = t;
            return t;
        });
        // a stop cancels a pending restart
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    void start() {
        executor.execute(this::runOnce);
    }

    private void runOnce() {
        if (executor.isShutdown()) {
            phase = Phase.STOPPED;
            return;
        }
        phase = Phase.RUNNING;
        long started = System.nanoTime();
        try {
            body.run();
            phase = Phase.STOPPED;
        } catch (InterruptedException e) {
            phase = Phase.STOPPED;
        } catch (RuntimeException | Error e) {
            if (executor.isShutdown()) {
                LOG.warn("{} ended with {} while stopping", name, e.toString());
                phase = Phase.STOPPED;
                return;
            }
            if (System.nanoTime() - started > backoff.max().toNanos()) {
                inARow = 0; // it ran well for a while: this is a new failure, not the same one again
            }
            inARow++;
            failures++;
            Duration delay = backoff.ceiling(inARow);
            Instant now = clock.instant();
            lastFailure = new Failure(now, e.toString(), failures, now.plus(delay));
            LOG.error("{} failed unexpectedly (failure {}); it starts again in {} ms", name, failures,
                    delay.toMillis(), e);
            phase = Phase.WAITING_TO_RESTART;
            try {
                executor.schedule(this::runOnce, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopped) {
                phase = Phase.STOPPED;
            }
        }
    }

    Phase phase() {
        return phase;
    }

    Optional<Failure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Whether the loop's thread has ended and nothing is scheduled to run on it (after a stop). */
    boolean terminated() {
        return executor.isTerminated();
    }

    /** Whether the caller is the loop's own thread. */
    boolean isLoopThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * No restart from now on, and the loop's thread ends once the running task returns. Neither interrupts nor
     * waits: for a loop that must finish what it does (a hot swap that replaces this loop's own code).
     */
    void release() {
        executor.shutdown();
    }

    /** Stops the loop: no restart, its task interrupted, and waits up to {@code wait} for it to end. */
    void stop(Duration wait) {
        executor.shutdownNow();
        try {
            executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        phase = Phase.STOPPED;
    }
}
