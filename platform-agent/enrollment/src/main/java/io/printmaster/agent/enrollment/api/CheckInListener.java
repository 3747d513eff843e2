package io.printmaster.agent.enrollment.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told about every check-in attempt, in order, as soon as it is made: register an implementation as an OSGi service
 * (whiteboard). The update worker uses it to see the server's offer and its commands, which the server delivers only
 * once, so polling {@link Enrollment#lastCheckIn()} could miss them.
 *
 * @since 1.1
 */
@ConsumerType
public interface CheckInListener {
    /**
     * Called on the enrollment thread after each check-in attempt, successful or not. Must return quickly and not
     * throw; long work belongs on the listener's own thread.
     */
    void checkedIn(CheckIn checkIn);
}
