package io.printmaster.agent.enrollment.impl;

import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.update.api.HealthCheckTags;
import java.time.Duration;
import java.util.Optional;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Apache Felix Health Check "the agent reaches its server": a check-in made now succeeds. Tagged
 * {@link HealthCheckTags#SERVER_REACHABLE}, which the hot-swap gate runs after a swap; anyone else running the agent's
 * health checks by that tag (or all of them) makes a check-in too.
 *
 * <p>It calls whichever {@link Enrollment} service ranks highest now (greedy), typed: this component lives in the
 * enrollment bundle, so after a swap of that bundle the new revision registers a new check on the new interface.
 */
@Component(service = HealthCheck.class, property = {
    HealthCheck.NAME + "=" + ServerReachableCheck.NAME,
    HealthCheck.TAGS + "=" + HealthCheckTags.SERVER_REACHABLE})
public class ServerReachableCheck implements HealthCheck {
    static final String NAME = "printmaster-server-reachable";
    /** How long one check waits for its check-in; the caller's timeout may cut it shorter. */
    static final Duration CHECK_IN_TIMEOUT = Duration.ofSeconds(30);

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Enrollment enrollment;

    public ServerReachableCheck() {
    }

    /** For tests: a check on {@code enrollment}. */
    ServerReachableCheck(Enrollment enrollment) {
        this.enrollment = enrollment;
    }

    @Override
    public Result execute() {
        Enrollment e = enrollment;
        if (e == null) {
            return new Result(Result.Status.CRITICAL, "server check-in failed: the enrollment service is not running");
        }
        Optional<CheckIn> checkIn;
        try {
            checkIn = e.checkInNow(CHECK_IN_TIMEOUT);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new Result(Result.Status.CRITICAL, "server check-in failed: interrupted");
        }
        if (checkIn.isEmpty()) {
            return new Result(Result.Status.CRITICAL, "server check-in failed: none finished within "
                    + CHECK_IN_TIMEOUT.toMillis() + " ms (" + e.state().message() + ")");
        }
        CheckIn c = checkIn.get();
        if (c.succeeded()) {
            return new Result(Result.Status.OK, "the server answered a check-in at " + c.at());
        }
        return new Result(Result.Status.CRITICAL, "server check-in failed: "
                + c.problem().orElse("HTTP " + c.status()));
    }
}
