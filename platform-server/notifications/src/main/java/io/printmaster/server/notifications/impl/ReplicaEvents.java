package io.printmaster.server.notifications.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
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
 * streams ({@link ReplicaEventReceiver}), so a console connected to replica B sees what happened on replica A (within the signals' delay, about
 * 200 ms). A replica skips its own signals (each carries its origin), and forwarded events reach only the event
 * streams: webhooks, the notification audit and metrics ran once, on the replica that published the event.
 *
 * <p>Forwarding writes one row per event on a thread of its own with a bounded queue: the event dispatcher never
 * waits for the database, and when the database falls behind, forwarding drops events (counted, logged) rather
 * than delaying this replica's own consoles. An event too large for a signal stays on its replica.
 */
@Component(service = ServerEventListener.class, immediate = true)
public class ReplicaEvents implements ServerEventListener {
    static final String TOPIC = "server.event";
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAYLOAD = 4000;
    private static final int QUEUE = 10_000;

    private final String origin;
    private final Database database;
    private final ClusterSignals signals;
    /**
     * This process among the replicas: its own signals come back to it and are skipped ({@link ReplicaEventReceiver}).
     * Static: the forwarder and the receiver are two components (one of each would make a reference cycle through
     * the event bus and the signals service), and a process is one replica.
     */
    static final String ORIGIN = UUID.randomUUID().toString();
    private final ThreadPoolExecutor forwarder;
    private final AtomicLong dropped = new AtomicLong();

    @Activate
    public ReplicaEvents(@Reference Database database, @Reference ClusterSignals signals) {
        this(database, signals, ORIGIN);
    }

    /** With the origin of the replica it stands for (tests put two replicas in one process). */
    ReplicaEvents(Database database, ClusterSignals signals, String origin) {
        this.origin = origin;
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
}
