package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/agents/update/wait?cursor=}: an agent's long poll. Without a cursor (the handshake, at the agent's
 * start and after a failure) it is answered at once with no events and a cursor for now: the agent then checks in
 * (which covers everything before the cursor) and waits with the cursor (which covers everything after it, within
 * the replay window). With a cursor it is answered 200 {@code {"events":[…],"cursor":"…"}} as soon as something
 * concerns the agent (a command, its rollout's abort, a policy change), at once when something did since the cursor,
 * else 204 after {@code max_wait_seconds} (55) with the cursor to send next in header {@value #CURSOR_HEADER}. No
 * thread waits meanwhile ({@link ApiResponse#deferred}). Events are hints: the agent answers them with a check-in.
 */
@Component(service = RouteProvider.class)
public class UpdateWaitResource implements RouteProvider {
    static final String PATH = "/api/v1/agents/update/wait";
    static final String CURSOR_HEADER = "PM-Wait-Cursor";
    /** When this replica holds its most waits: come back after this many seconds, poll meanwhile. */
    static final String RETRY_AFTER_SECONDS = "60";

    private final UpdatePush push;

    @Activate
    public UpdateWaitResource(@Reference UpdatePush push) {
        this.push = push;
    }

    /** A 200 answer's body. */
    public record WaitAnswer(List<Map<String, Object>> events, String cursor) {
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(PATH, Scopes.AGENT, this::waitForEvents)
                .doc("Wait for a push (long poll)", "Without a cursor: answered at once with no events and a cursor "
                        + "(check in, then wait with it). With one: answers as soon as a command, an abort of the "
                        + "agent's rollout or a policy change concerns the agent (200 with the events and the cursor to "
                        + "send next; at once for what happened since the cursor), else 204 after at most 55 s (header "
                        + CURSOR_HEADER + ": the cursor to send next). 503 with Retry-After when the server holds its "
                        + "most waits. Events are hints: answer each with a check-in.")
                .query("cursor", "the cursor of the previous answer; absent for the handshake")
                .returns(200, WaitAnswer.class));
    }

    ApiResponse waitForEvents(ApiRequest req) throws ApiException {
        Caller caller = req.requireCaller();
        String agentId = AgentAuthenticator.agentId(caller);
        String fleetId = caller.fleets().flatMap(f -> f.stream().findFirst()).orElseThrow(
                () -> ApiException.forbidden("only an enrolled agent may wait for its pushes"));
        WaitCursor since = WaitCursor.decode(req.query("cursor").orElse(null));
        WaiterRegistry registry = push.registry();
        if (since == null) {
            // the handshake: a cursor for now, answered at once; the agent checks in (which covers everything before
            // it) and then waits with it (which covers everything after it)
            return ApiResponse.ok(new WaitAnswer(List.of(), registry.cursorNow().encode()));
        }
        ApiResponse timedOut = ApiResponse.noContent().header(CURSOR_HEADER, since.encode());
        // a wait whose registration fails is refused before the request is suspended
        if (registry.isFull(agentId)) {
            throw full();
        }
        return ApiResponse.deferred(Duration.ofSeconds(push.maxWaitSeconds()), timedOut, pending -> {
            WaiterRegistry.Waiter waiter = registry.wait(agentId, fleetId, since,
                    answer -> pending.answer(answer.events().isEmpty()
                            ? ApiResponse.noContent().header(CURSOR_HEADER, answer.cursor().encode())
                            : ApiResponse.ok(new WaitAnswer(answer.events(), answer.cursor().encode()))));
            if (waiter == null) {
                pending.answer(ApiResponse.status(503, error()).header("Retry-After", RETRY_AFTER_SECONDS));
                return;
            }
            pending.onClose(() -> registry.cancel(waiter));
        });
    }

    private static ApiException full() {
        return new ApiException(503, "too_many_waits", "the server holds its most waits; keep polling and try again later")
                .withHeader("Retry-After", RETRY_AFTER_SECONDS);
    }

    private static Map<String, Object> error() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", "too_many_waits");
        e.put("message", "the server holds its most waits; keep polling and try again later");
        return Map.of("error", e);
    }
}
