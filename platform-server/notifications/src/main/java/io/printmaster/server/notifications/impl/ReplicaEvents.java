package io.printmaster.server.notifications.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server events across replicas: every event published on this replica is forwarded as a {@link ClusterSignals}
 * signal of topic {@value #TOPIC}, and the events the other replicas forward are shown to this replica's event
 * streams, so a console connected to replica B sees what happened on replica A (within the signals' delay, about
 * 200 ms). A replica skips its own signals (each carries its origin), and forwarded events reach only the event
 * streams: webhooks, the notification audit and metrics ran once, on the replica that published the event.
 *
 * <p>Forwarding writes one row per event on a thread of its own with a bounded queue: the event dispatcher never
 * waits for the database, and when the database falls behind, forwarding drops events (counted, logged) rather
 * than delaying this replica's own consoles. An event too large for a signal stays on its replica.
 */
@Component(service = {ServerEventListener.class, SignalListener.class}, immediate = true,
        property = SignalListener.TOPICS + "=" + ReplicaEvents.TOPIC)
public class ReplicaEvents implements ServerEventListener, SignalListener {
    static final String TOPIC = "server.event";
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAYLOAD = 4000;
    private static final int QUEUE = 10_000;

    private final EventBus bus;
    private final Database database;
    private final ClusterSignals signals;
    /** This process among the replicas: its own signals come back to it and are skipped. */
    private final String origin = UUID.randomUUID().toString();
    private final ThreadPoolExecutor forwarder;
    private final AtomicLong dropped = new AtomicLong();

    @Activate
    public ReplicaEvents(@Reference EventBus bus, @Reference Database database, @Reference ClusterSignals signals) {
        this.bus = bus;
        this.database = database;
        this.signals = signals;
        this.forwarder = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "pm-server-events-forward");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void stop() {
        forwarder.shutdownNow();
    }

    /** An event published here: forwarded to the other replicas. */
    @Override
    public void onEvent(ServerEvent event) {
        String payload = payload(event);
        if (payload == null) {
            return;
        }
        try {
            forwarder.execute(() -> forward(event, payload));
        } catch (RejectedExecutionException e) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.warn("{} server events were not forwarded to the other replicas (the database falls behind)", n);
            }
        }
    }

    private void forward(ServerEvent event, String payload) {
        try {
            database.inTransaction(c -> {
                signals.publish(c, TOPIC, event.fleet(), payload);
                return null;
            });
        } catch (Exception e) {
            LOG.debug("server event {} was not forwarded to the other replicas: {}", event.type(), e.toString());
        }
    }

    /** The event as a signal's payload, with this replica as its origin; null when it is too large for one. */
    String payload(ServerEvent event) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("origin", origin);
        m.put("type", event.type());
        m.put("at", event.at().toString());
        m.put("fleet", event.fleet());
        m.put("data", event.data());
        try {
            String json = JSON.writeValueAsString(m);
            return json.length() <= MAX_PAYLOAD ? json : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** A signal: another replica's event (this replica's own are skipped). Returns at once. */
    @Override
    public void signalled(Signal signal) {
        if (signal.payload() == null) {
            return;
        }
        try {
            Map<String, Object> m = JSON.readValue(signal.payload(), new TypeReference<Map<String, Object>>() { });
            if (origin.equals(m.get("origin"))) {
                return; // published here: already shown
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> data = m.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
            bus.publishFromReplica(new ServerEvent(String.valueOf(m.get("type")), Instant.parse(String.valueOf(m.get("at"))),
                    m.get("fleet") instanceof String f ? f : null, data));
        } catch (Exception e) {
            LOG.debug("a forwarded server event could not be read: {}", e.toString());
        }
    }
}
