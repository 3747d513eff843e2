package io.printmaster.server.notifications.impl;

import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.EventSink;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/events}: this server's events as {@code text/event-stream}, each one the caller may see
 * ({@link EventVisibility}), as it happens. {@code Last-Event-ID} (sent by a reconnecting EventSource) replays what
 * the caller missed from the last {@value EventRing#CAPACITY} events (the newest {@value #MAX_REPLAY} at most). The stream holds no thread: the dispatcher
 * thread queues each frame on the stream's sink, and the http bundle writes it and sends keep-alive comments.
 */
@Component(service = RouteProvider.class)
public class EventStreamResource implements RouteProvider {
    /** How long EventSource waits before it reconnects, in milliseconds. */
    static final int RETRY_MILLIS = 2000;
    /**
     * Events replayed to a reconnecting client at most (the newest): the http bundle cuts a stream off once 1000
     * frames wait for its client, and a replay arrives in one burst.
     */
    static final int MAX_REPLAY = 900;

    private final EventBus bus;

    @Activate
    public EventStreamResource(@Reference EventBus bus) {
        this.bus = bus;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/events", Scopes.AGENTS_READ, this::events));
    }

    ApiResponse events(ApiRequest req) {
        Caller caller = req.requireCaller();
        long lastSeen = req.header("Last-Event-ID").map(EventStreamResource::parseId).orElse(-1L);
        return ApiResponse.eventStream(sink -> open(caller, lastSeen, sink)).header("X-Accel-Buffering", "no")
                .header("Cache-Control", "no-store");
    }

    private void open(Caller caller, long lastSeen, EventSink sink) {
        // the first frame also tells the client the stream is open before any event happens
        sink.send("retry: " + RETRY_MILLIS + "\n\n");
        Runnable unsubscribe = bus.subscribe(lastSeen, MAX_REPLAY, e -> {
            if (EventVisibility.visible(caller, e.event())) {
                sink.send(e.frame());
            }
        });
        sink.onClose(unsubscribe);
    }

    /** A {@code Last-Event-ID} that is not one of ours replays nothing (the client starts from now). */
    private static long parseId(String id) {
        try {
            return Math.max(-1, Long.parseLong(id.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
