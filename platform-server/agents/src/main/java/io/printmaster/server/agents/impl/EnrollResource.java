package io.printmaster.server.agents.impl;

import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.security.limits.FailureRateLimiter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * {@code POST /api/v1/agents/enroll}: the one public agent route. A join token is exchanged for an agent id and a
 * credential (answered once). Failed attempts are rate-limited per remote address like console logins: a guesser
 * gets 429 with {@code Retry-After} long before a 256-bit token could be found.
 */
@Component(service = RouteProvider.class)
@Designate(ocd = EnrollResource.Config.class)
public class EnrollResource implements RouteProvider {

    @ObjectClassDefinition(name = "PrintMaster agent enrollment")
    public @interface Config {
        @AttributeDefinition(description = "Failed enrollments one address may make within the window before it gets 429.")
        int max__failures() default 10;

        @AttributeDefinition(description = "The failure window, in minutes.")
        int failure__window__minutes() default 15;
    }

    private final AgentStore agents;
    private final FailureRateLimiter limiter;

    @Activate
    public EnrollResource(@Reference AgentStore agents, Config config) {
        this(agents, new FailureRateLimiter(Math.max(1, config.max__failures()),
                Duration.ofMinutes(Math.max(1, config.failure__window__minutes())), Clock.systemUTC()));
    }

    EnrollResource(AgentStore agents, FailureRateLimiter limiter) {
        this.agents = agents;
        this.limiter = limiter;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/agents/enroll", Route.PUBLIC, this::enroll)
                .doc("Enroll an agent with a join token", "Answers the agent's credential, once.")
                .accepts(EnrollRequest.class).returns(201, EnrollAnswer.class));
    }

    ApiResponse enroll(ApiRequest req) throws Exception {
        EnrollRequest body = req.body(EnrollRequest.class);
        if (body.joinToken() == null || body.joinToken().isBlank()) {
            throw ApiException.invalid("join_token", "join_token is required");
        }
        AgentStore.AgentFacts facts = AgentFactsValidator.validate(body.hostname(), body.platform(), body.arch(),
                body.currentVersion());
        String addressKey = "addr:" + req.remoteAddress();
        // the attempt counts as a failure before the token is looked up, so parallel guesses from one address cannot
        // all pass the check while the first ones are still being evaluated; a good token gives it back
        FailureRateLimiter.Reservation attempt = limiter.tryReserve(addressKey);
        if (!attempt.granted()) {
            long seconds = Math.max(1, (attempt.retryAfter().toMillis() + 999) / 1000);
            throw new ApiException(429, "too_many_attempts", "too many failed enrollments from this address; try again in "
                    + seconds + " s").withHeader("Retry-After", Long.toString(seconds));
        }
        Optional<AgentStore.Enrolled> enrolled;
        try {
            enrolled = agents.enroll(body.joinToken().strip(), facts);
        } catch (RuntimeException | java.sql.SQLException e) {
            limiter.release(attempt); // not the caller's failure: the store's
            throw e;
        }
        if (enrolled.isEmpty()) {
            throw new ApiException(401, "invalid_join_token",
                    "the join token is unknown, revoked, expired or used up; ask for a new one", "join_token");
        }
        limiter.release(attempt);
        EnrollAnswer answer = new EnrollAnswer(enrolled.get().agent().id(), enrolled.get().credential(),
                enrolled.get().agent().fleet());
        return ApiResponse.created(answer).header("Location", "/api/v1/agents/" + enrolled.get().agent().id());
    }
}
