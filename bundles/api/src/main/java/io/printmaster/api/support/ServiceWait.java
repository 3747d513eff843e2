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
