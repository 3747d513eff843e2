package io.printmaster.server.notifications.impl;

import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.EventSink;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events}: this server's events as {@code text/event-stream}, each one the caller may see
 * ({@link EventVisibility}), as it happens. {@code Last-Event-ID} (sent by a reconnecting EventSource) replays what
 * the caller missed from the last {@value EventRing#CAPACITY} events (the newest {@value #MAX_REPLAY} at most). The stream holds no thread: the dispatcher
 * thread queues each frame on the stream's sink, and the http bundle writes it and sends keep-alive comments.
 *
 * <p>A stream ends after {@code event_stream_max_seconds} (5 minutes unless configured). The caller was checked when it opened, so a token revoked or a session
 * ended afterwards would otherwise go on receiving events for as long as the connection lasts; EventSource reconnects
 * by itself after {@value #RETRY_MILLIS} ms with {@code Last-Event-ID}, and that request is authenticated again (and
 * refused once the credential is gone) and misses nothing.
 */
@Component(service = RouteProvider.class, configurationPid = NotificationsConfiguration.PID)
public class EventStreamResource implements RouteProvider {
    private static final Logger LOG = LoggerFactory.getLogger(EventStreamResource.class);
    /** How long EventSource waits before it reconnects, in milliseconds. */
    static final int RETRY_MILLIS = 2000;
    /**
     * Events replayed to a reconnecting client at most (the newest): the http bundle cuts a stream off once 1000
     * frames wait for its client, and a replay arrives in one burst.
     */
    static final int MAX_REPLAY = 900;
    /** How long one stream lasts before the client must reconnect (and authenticate) again, unless configured. */
    static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);

    private final EventBus bus;
    private volatile Duration lifetime;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm-event-stream-lifetime");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public EventStreamResource(@Reference EventBus bus, NotificationsConfiguration config) {
        this.bus = bus;
        modified(config);
    }

    @Modified
    void modified(NotificationsConfiguration config) {
        int seconds = config.event__stream__max__seconds();
        if (seconds < 1) {
            LOG.error("{}: event_stream_max_seconds must be at least 1, not {}; streams last {} s", NotificationsConfiguration.PID,
                    seconds, DEFAULT_LIFETIME.toSeconds());
            lifetime = DEFAULT_LIFETIME;
        } else {
            lifetime = Duration.ofSeconds(seconds);
        }
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/events", Scopes.AGENTS_READ, this::events)
                .doc("Live server events", "A text/event-stream of {\"type\",\"at\",\"fleet\",…} events the caller may see "
                        + "(by its scopes and fleets); Last-Event-ID resumes after a reconnect.")
                .produces("text/event-stream"));
    }

    ApiResponse events(ApiRequest req) {
        Caller caller = req.requireCaller();
        long lastSeen = req.header("Last-Event-ID").map(EventStreamResource::parseId).orElse(-1L);
        return ApiResponse.eventStream(sink -> open(caller, lastSeen, sink)).header("X-Accel-Buffering", "no")
                .header("Cache-Control", "no-store");
    }

    void open(Caller caller, long lastSeen, EventSink sink) {
        // the first frame also tells the client the stream is open before any event happens
        sink.send("retry: " + RETRY_MILLIS + "\n\n");
        Runnable unsubscribe = bus.subscribe(lastSeen, MAX_REPLAY, e -> {
            if (EventVisibility.visible(caller, e.event())) {
                sink.send(e.frame());
            }
        });
        sink.onClose(unsubscribe);
        try {
            ScheduledFuture<?> end = timer.schedule(sink::close, lifetime.toMillis(), TimeUnit.MILLISECONDS);
            sink.onClose(() -> end.cancel(false));
        } catch (RejectedExecutionException stopping) {
            sink.close(); // the bundle is stopping
        }
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
