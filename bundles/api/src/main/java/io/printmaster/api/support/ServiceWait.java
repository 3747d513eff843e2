package io.printmaster.api.support;

import io.printmaster.api.service.ServiceManagerException;
import java.time.Duration;

/**
 * The deadline arithmetic and the paced wait that service-manager plugins share while a start or stop is pending.
 * The service systems' tools ({@code systemctl}, {@code launchctl}, {@code sc.exe}) offer no event to wait on, so a
 * manager asks again after a short pause, bounded by its caller's timeout. Kept here, once, rather than in every
 * plugin.
 *
 * @since 1.0
 */
public final class ServiceWait {
    private ServiceWait() {
    }

    /**
     * The time left until {@code deadline} ({@link System#nanoTime()} based).
     *
     * @param subject what is waited for, as the message names it ({@code "unit printmaster-agent.service"})
     * @param verb what it should do ({@code "start"})
     * @throws ServiceManagerException "{@code <subject> did not <verb> in time}" when none is left
     */
    public static Duration remaining(long deadline, String subject, String verb) throws ServiceManagerException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new ServiceManagerException(subject + " did not " + verb + " in time");
        }
        return Duration.ofNanos(left);
    }

    /**
     * Asks the service system for the service's state within what is left until {@code deadline}. The query gets only
     * that much time; when the deadline runs out during it, after an earlier query had answered, the service is what
     * was too slow, not the tool, and the failure says so.
     *
     * @param last the state the previous query of this wait answered, or null for the first
     * @throws ServiceManagerException "{@code <subject> did not <verb> in time: it is still <last>}" when the deadline
     *                                 ran out during the query after an earlier answer; otherwise the query's own
     * @since 1.1
     */
    public static <S> S query(long deadline, String subject, String verb, S last, StateQuery<S> query)
            throws ServiceManagerException {
        try {
            return query.within(remaining(deadline, subject, verb));
        } catch (ServiceManagerException e) {
            if (last != null && deadline - System.nanoTime() <= 0) {
                throw new ServiceManagerException(subject + " did not " + verb + " in time: it is still " + last, e);
            }
            throw e;
        }
    }

    /**
     * One query of a service's state, bounded by {@code timeout}.
     *
     * @since 1.1
     */
    @FunctionalInterface
    public interface StateQuery<S> {
        S within(Duration timeout) throws ServiceManagerException;
    }

    /**
     * Waits {@code poll} before the next query of the service system.
     *
     * @throws ServiceManagerException when the waiting thread is interrupted (its flag is set again)
     */
    public static void pause(Duration poll) throws ServiceManagerException {
        try {
            // the one paced poll of the service managers: the tools have nothing to block on
            Thread.sleep(poll.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceManagerException("interrupted while waiting for the service", e);
        }
    }
}
