package io.printmaster.agent.localui;

import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.agent.update.api.RunningRelease;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The agent's enrollment, locally:
 * <ul>
 * <li>{@code GET /api/enrollment/status}: state, server, fleet, agent id, last check-in (never the join token or
 * the credential);</li>
 * <li>{@code GET /api/v1/health}: the agent's liveness for service managers and the update worker's health check.
 * 200 {@code UP} whenever the agent runs: an agent without a fleet, or one that cannot reach its server, is still a
 * healthy agent (it keeps its schedule and retries); the answer says which.</li>
 * </ul>
 */
@Component(service = RouteProvider.class)
public class EnrollmentResource implements RouteProvider {
    static final String STATUS = "/api/enrollment/status";
    static final String HEALTH = "/api/v1/health";

    private final String version;
    private final long startedMillis;
    private final AtomicReference<Enrollment> enrollment = new AtomicReference<>();

    @Activate
    public EnrollmentResource(BundleContext context) {
        this(context.getProperty("pm.version"), parseMillis(context.getProperty("pm.start.millis")));
    }

    EnrollmentResource(String version, long startedMillis) {
        this.version = version;
        this.startedMillis = startedMillis;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setEnrollment(Enrollment e) {
        enrollment.set(e);
    }

    void unsetEnrollment(Enrollment e) {
        enrollment.compareAndSet(e, null);
    }

    /** A hot swap changes the running release without a restart: ask the service that knows, when it runs. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RunningRelease runningRelease;

    String runningVersion() {
        RunningRelease r = runningRelease;
        return r != null ? r.version() : version;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(STATUS, Route.PUBLIC, this::status), Route.get(HEALTH, Route.PUBLIC, req -> health()));
    }

    ApiResponse status(ApiRequest request) throws ApiException {
        if (!LoopbackGuard.isLoopbackHost(request.header("Host"))) {
            throw new ApiException(403, "not_local", "this agent answers only requests addressed to 127.0.0.1 "
                    + "or localhost");
        }
        return ApiResponse.ok(statusBody(enrollment.get()));
    }

    static Map<String, Object> statusBody(Enrollment e) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (e == null) {
            body.put("state", "unavailable");
            body.put("message", "the enrollment bundle is not running on this agent");
            body.put("since", null);
            body.put("server_url", null);
            body.put("fleet_id", null);
            body.put("agent_id", null);
            body.put("enrolled_at", null);
            body.put("last_check_in", null);
            return body;
        }
        EnrollmentState s = e.state();
        Optional<EnrolledAgent> agent = e.current();
        body.put("state", s.phase().wireName());
        body.put("message", s.message());
        body.put("since", s.since());
        body.put("server_url", agent.map(a -> a.serverUrl().toString()).orElse(null));
        body.put("fleet_id", agent.map(EnrolledAgent::fleetId).orElse(null));
        body.put("agent_id", agent.map(EnrolledAgent::agentId).orElse(null));
        body.put("enrolled_at", agent.map(EnrolledAgent::enrolledAt).orElse(null));
        body.put("last_check_in", e.lastCheckIn().map(EnrollmentResource::checkIn).orElse(null));
        return body;
    }

    private static Map<String, Object> checkIn(CheckIn c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", c.at());
        m.put("status", c.status());
        m.put("succeeded", c.succeeded());
        m.put("problem", c.problem().orElse(null));
        Optional<CheckInAnswer> answer = c.wireAnswer(); // parsed once: each call reads the JSON tree again
        m.put("update_available", answer.map(CheckInAnswer::updateAvailable).orElse(null));
        m.put("policy_source", answer.map(CheckInAnswer::policySource).orElse(null));
        return m;
    }

    ApiResponse health() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        body.put("role", "agent");
        body.put("version", runningVersion());
        body.put("uptime_seconds", Duration.ofMillis(System.currentTimeMillis() - startedMillis).toSeconds());
        Enrollment e = enrollment.get();
        Map<String, Object> enrollmentBody = new LinkedHashMap<>();
        if (e == null) {
            enrollmentBody.put("state", "unavailable");
            enrollmentBody.put("server_reachable", null);
        } else {
            enrollmentBody.put("state", e.state().phase().wireName());
            // null: not known yet (not enrolled, or no check-in made)
            enrollmentBody.put("server_reachable", e.lastCheckIn().map(CheckIn::serverReached).orElse(null));
            enrollmentBody.put("last_check_in_at", e.lastCheckIn().map(CheckIn::at).orElse(null));
            // null: no push connection (off, a server without push, reconnecting): the agent polls meanwhile
            enrollmentBody.put("push_connected_since", e.pushConnectedSince().orElse(null));
        }
        body.put("enrollment", enrollmentBody);
        return ApiResponse.ok(body);
    }

    private static long parseMillis(String value) {
        try {
            return value == null ? System.currentTimeMillis() : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return System.currentTimeMillis();
        }
    }
}
