package io.printmaster.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.service.ServiceManagerException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bounded state query of a pending start or stop: whose slowness a late failure is blamed on. */
class ServiceWaitTest {

    @Test
    void aQueryGetsWhatIsLeftAndItsAnswerComesBack() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Duration[] given = new Duration[1];
        String answer = ServiceWait.query(deadline, "unit a.service", "start", null, timeout -> {
            given[0] = timeout;
            return "activating";
        });
        assertEquals("activating", answer);
        assertTrue(given[0].compareTo(Duration.ofSeconds(29)) > 0 && given[0].compareTo(Duration.ofSeconds(30)) <= 0,
                "the query is bounded by the time left: " + given[0]);
    }

    @Test
    void aQueryCutByTheDeadlineAfterAnEarlierAnswerSaysTheServiceWasTooSlow() {
        long deadline = System.nanoTime() + Duration.ofMillis(50).toNanos();
        ServiceManagerException killed = new ServiceManagerException("`sc.exe query x` did not finish within PT0.001S");
        ServiceManagerException e = assertThrows(ServiceManagerException.class, () -> ServiceWait.query(deadline,
                "service x", "start", "START_PENDING", timeout -> {
                    while (System.nanoTime() - deadline <= 0) {
                        Thread.onSpinWait(); // the tool runs until its timeout, which is the deadline
                    }
                    throw killed;
                }));
        assertEquals("service x did not start in time: it is still START_PENDING", e.getMessage());
        assertSame(killed, e.getCause());
    }

    @Test
    void aFailureBeforeTheDeadlineOrOnTheFirstQueryIsTheQuerysOwn() {
        ServiceManagerException broken = new ServiceManagerException("the service control manager answered nonsense");
        long later = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        assertSame(broken, assertThrows(ServiceManagerException.class,
                () -> ServiceWait.query(later, "service x", "start", "START_PENDING", timeout -> {
                    throw broken;
                })));
        long soon = System.nanoTime() + Duration.ofMillis(20).toNanos();
        assertSame(broken, assertThrows(ServiceManagerException.class,
                () -> ServiceWait.query(soon, "service x", "start", null, timeout -> {
                    while (System.nanoTime() - soon <= 0) {
                        Thread.onSpinWait();
                    }
                    throw broken;
                })));
    }

    @Test
    void noTimeLeftIsAlreadyTooLate() {
        long past = System.nanoTime() - 1;
        ServiceManagerException e = assertThrows(ServiceManagerException.class,
                () -> ServiceWait.query(past, "unit a.service", "stop", null, timeout -> "inactive"));
        assertEquals("unit a.service did not stop in time", e.getMessage());
    }
}
