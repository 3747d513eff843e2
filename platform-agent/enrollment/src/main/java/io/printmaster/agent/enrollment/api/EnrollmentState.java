package io.printmaster.agent.enrollment.api;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * Where enrollment stands.
 *
 * @param phase the phase
 * @param message what it means for the operator and, when something is wrong, what to do; never holds a secret
 * @param since when the agent entered this phase (or the message last changed)
 */
public record EnrollmentState(Phase phase, String message, Instant since) {
    public EnrollmentState {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(since, "since");
    }

    public enum Phase {
        /** No fleet files (etc/fleet.json) and no server configured: the agent runs on its own. */
        NOT_CONFIGURED,
        /** A server is configured and the agent is getting (or retrying to get) its credential. */
        ENROLLING,
        /** The agent holds a credential; check-ins may still fail (see {@link Enrollment#lastCheckIn()}). */
        ENROLLED,
        /** Enrollment cannot go on without the operator: the join token was refused, or the files are invalid. */
        FAILED;

        /** {@code not_configured}, {@code enrolling}, {@code enrolled}, {@code failed}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
