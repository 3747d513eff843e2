package io.printmaster.agent.hotswap.impl;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Short waits that an interrupt does not cut short: once bundles are changing, the swap goes on to a complete set
 * (new or old). An interrupt is remembered and restored by the engine when it returns.
 */
final class Pause {
    private boolean interrupted;

    void millis(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
    }

    /** Remembers an interrupt seen by someone else (a latch wait). */
    void interrupted() {
        interrupted = true;
    }

    boolean wasInterrupted() {
        return interrupted;
    }
}
