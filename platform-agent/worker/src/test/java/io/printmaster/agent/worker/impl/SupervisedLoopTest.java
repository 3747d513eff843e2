package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.retry.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The update loop's supervision: a task that dies is visible in health and starts again after its backoff. */
class SupervisedLoopTest {
    private static final Backoff FAST = Backoff.of(Duration.ofMillis(50), Duration.ofSeconds(5), Integer.MAX_VALUE);

    private SupervisedLoop loop;

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aLoopThatDiesIsStartedAgainAfterItsBackoffAndTheHealthCheckSaysSo() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        CountDownLatch failed = new CountDownLatch(1);
        CountDownLatch mayFail = new CountDownLatch(1);
        BlockingQueue<String> running = new LinkedBlockingQueue<>();
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong failedAt = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong restartedAt = new java.util.concurrent.atomic.AtomicLong();
        loop = new SupervisedLoop("test-loop", () -> {
            if (starts.incrementAndGet() == 1) {
                mayFail.await();
                failed.countDown();
                failedAt.set(System.nanoTime());
                throw new IllegalStateException("injected: the state file is corrupt");
            }
            restartedAt.set(System.nanoTime());
            running.add("run " + starts.get());
            release.await(); // runs until stopped
        }, FAST, Clock.systemUTC());
        UpdateLoopHealthCheck health = new UpdateLoopHealthCheck(loop);
        loop.start();

        awaitPhase(SupervisedLoop.Phase.RUNNING);
        assertEquals(Result.Status.OK, health.execute().getStatus(), "healthy before the failure");
        mayFail.countDown();
        assertTrue(failed.await(5, TimeUnit.SECONDS));

        assertEquals("run 2", running.poll(10, TimeUnit.SECONDS), "started again");
        assertTrue(restartedAt.get() - failedAt.get() >= TimeUnit.MILLISECONDS.toNanos(50), "not before its backoff");
        awaitPhase(SupervisedLoop.Phase.RUNNING);
        SupervisedLoop.Failure f = loop.lastFailure().orElseThrow();
        assertEquals(1, f.failures());
        assertEquals("java.lang.IllegalStateException: injected: the state file is corrupt", f.error());
        Result after = health.execute();
        assertEquals(Result.Status.WARN, after.getStatus(), "the failure stays visible while it runs again");
        String message = after.iterator().next().getMessage();
        assertTrue(message.contains("failed 1 time(s)") && message.contains("injected: the state file is corrupt")
                && message.contains("started again"), message);

        loop.stop(Duration.ofSeconds(5));
        assertTrue(loop.terminated(), "the running task was interrupted and ended");
        assertEquals(2, starts.get(), "not started again after the stop");
        assertEquals(Result.Status.CRITICAL, health.execute().getStatus(), "a stopped loop is not healthy");
    }

    @Test
    void whileItWaitsToStartAgainTheHealthCheckIsCritical() throws Exception {
        Backoff slow = Backoff.of(Duration.ofMinutes(10), Duration.ofMinutes(30), Integer.MAX_VALUE);
        loop = new SupervisedLoop("test-loop", () -> {
            throw new NoClassDefFoundError("io/printmaster/Gone");
        }, slow, Clock.systemUTC());
        loop.start();
        awaitPhase(SupervisedLoop.Phase.WAITING_TO_RESTART);
        Result r = new UpdateLoopHealthCheck(loop).execute();
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        String message = r.iterator().next().getMessage();
        assertTrue(message.contains("java.lang.NoClassDefFoundError: io/printmaster/Gone")
                && message.contains("starts again at"), message);
        loop.stop(Duration.ofSeconds(5));
        assertTrue(loop.terminated(), "a stop cancels the pending restart: nothing is left to run");
    }

    @Test
    void failuresInARowWaitLongerEachTime() throws Exception {
        CountDownLatch third = new CountDownLatch(3);
        loop = new SupervisedLoop("test-loop", () -> {
            third.countDown();
            throw new IllegalStateException("again");
        }, FAST, Clock.systemUTC());
        long begin = System.nanoTime();
        loop.start();
        assertTrue(third.await(10, TimeUnit.SECONDS));
        // 50 ms after the first failure, 100 ms after the second
        assertTrue(System.nanoTime() - begin >= TimeUnit.MILLISECONDS.toNanos(150), "backed off");
        awaitPhase(SupervisedLoop.Phase.WAITING_TO_RESTART);
        assertTrue(loop.lastFailure().orElseThrow().failures() >= 3);
    }

    @Test
    void aLoopThatReturnsIsNotStartedAgain() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        loop = new SupervisedLoop("test-loop", starts::incrementAndGet, FAST, Clock.systemUTC());
        loop.start();
        awaitPhase(SupervisedLoop.Phase.STOPPED);
        assertEquals(1, starts.get());
        assertTrue(loop.lastFailure().isEmpty());
    }

    private void awaitPhase(SupervisedLoop.Phase phase) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loop.phase() != phase) {
            assertTrue(System.nanoTime() < deadline, "phase " + phase + " within 10 s; it is " + loop.phase());
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }
}
