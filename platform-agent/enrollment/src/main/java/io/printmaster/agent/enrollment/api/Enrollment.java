package io.printmaster.agent.enrollment.api;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * This agent's membership of a fleet: registered once by the enrollment bundle, always present (even before the
 * agent is configured). Every method is cheap and returns the state of now; call it whenever needed rather than
 * keeping the result, since the credential can be replaced (re-enrollment) at any time.
 */
@ProviderType
public interface Enrollment {
    /** The configuration PID of the check-in schedule ({@code etc/io.printmaster.agent.enrollment.cfg}). */
    String PID = "io.printmaster.agent.enrollment";

    /** The agent as the server knows it; empty until it has enrolled. */
    Optional<EnrolledAgent> current();

    /**
     * The agent credential to send as {@code Authorization: Bearer <credential>} to {@link EnrolledAgent#serverUrl()};
     * empty until enrolled. A secret: never log it, show it or store it elsewhere. When the server answers 401 to
     * it, the enrollment bundle notices at its next check-in and enrolls again.
     */
    Optional<String> credential();

    /** The last check-in attempt, successful or not; empty before the first one. */
    Optional<CheckIn> lastCheckIn();

    /** Where enrollment stands, with a message for the operator. */
    EnrollmentState state();

    /**
     * Checks in now (or joins the check-in being made) and waits for it: the update worker's "check now". Waits at
     * most {@code timeout}.
     *
     * @return the check-in made after this call began; empty when none finished within {@code timeout} (the agent is
     *     not enrolled, not configured, or the server is slow)
     * @throws InterruptedException when the waiting thread is interrupted
     * @since 1.1
     */
    Optional<CheckIn> checkInNow(java.time.Duration timeout) throws InterruptedException;

    /**
     * Checks in now for an update run and waits for that check-in: the request carries {@code run_id} = {@code runId}
     * (only such a check-in may take a slot of a rollout on the server), and only the check-in that carried it is
     * returned, never one that was already under way without it. The enrollment loop's periodic check-ins carry no
     * run id. Waits at most {@code timeout}.
     *
     * <p>The default, for implementations that predate run ids, checks in without one.
     *
     * @param runId the worker's run id, as in its telemetry; {@code null} or blank: as {@link #checkInNow(java.time.Duration)}
     * @return the check-in that carried {@code runId}; empty when none finished within {@code timeout}
     * @throws InterruptedException when the waiting thread is interrupted
     * @since 1.4
     */
    default Optional<CheckIn> checkInNow(java.time.Duration timeout, String runId) throws InterruptedException {
        return checkInNow(timeout);
    }

    /**
     * The TLS context for calls to {@link EnrolledAgent#serverUrl()}: it trusts what enrollment trusts (the fleet's
     * CA bundle, and only it when the installer pinned the server's certificate) and follows changes of the fleet
     * files, so an HTTP client built once with it stays right. Bundles that call the server (the update worker's
     * downloads and telemetry) build their client with it.
     *
     * @since 1.3
     */
    default javax.net.ssl.SSLContext serverTls() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no default TLS context", e);
        }
    }

    /**
     * Since when the agent holds a push connection to its server (a long poll on
     * {@code GET /api/v1/agents/update/wait}, whose events make it check in at once); empty while it has none (push
     * turned off, not enrolled, a server without push, or reconnecting after a failure: it polls meanwhile).
     *
     * @since 1.5
     */
    default Optional<java.time.Instant> pushConnectedSince() {
        return Optional.empty();
    }
}
