package io.printmaster.itests;

import java.time.Duration;

/**
 * Waits until an assertion holds, polling; fails with the assertion's last error when time runs out.
 * (Awaitility does the same outside OSGi; inside the Pax Exam probe this avoids wiring it and Hamcrest 2 as bundles.)
 */
final class Eventually {
    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /** Why waiting longer cannot help; null while it still can. */
    @FunctionalInterface
    interface Reason {
        String get() throws Exception;
    }

    private Eventually() {
    }

    static void within(Duration timeout, Check check) throws Exception {
        within(timeout, check, () -> null);
    }

    /**
     * The same, but gives up at once when {@code hopeless} answers a reason (such as "the process under test
     * exited"): waiting longer could not help, so the failure comes now, with that reason and the last error.
     */
    static void within(Duration timeout, Check check, Reason hopeless) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                String reason = hopeless.get();
                if (reason != null) {
                    throw new AssertionError(reason + "; last failure: " + e, e);
                }
            }
            // a short park between polls; the condition, not the pause, ends the wait
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }
}
