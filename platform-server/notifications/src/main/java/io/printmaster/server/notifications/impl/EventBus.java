package io.printmaster.server.notifications.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import io.printmaster.server.notifications.api.ServerEvents;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ServerEvents} of this process. {@link #publish} only offers the event to a bounded queue (full: the
 * event is dropped and counted, the publisher never waits); one dispatcher thread numbers each event, keeps it in the
 * {@link EventRing} (which fans it out to the open event streams) and then tells every {@link ServerEventListener}
 * (the webhook queue, the notification audit, the metrics), one at a time, so a slow listener delays only the
 * listeners after it. Events other replicas published arrive through {@link ReplicaEvents} and go to the event
 * streams only.
 */
@Component(service = {ServerEvents.class, EventBus.class}, configurationPid = NotificationsConfiguration.PID)
@Designate(ocd = NotificationsConfiguration.class)
public class EventBus implements ServerEvents {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
    /** Stands for "stop" in the queue; never published. */
    private static final Queued STOP = new Queued(new ServerEvent("notifications.stop", java.time.Instant.EPOCH, null, null), true);

    /** An event to dispatch; {@code local}: published on this replica (else forwarded from another one). */
    private record Queued(ServerEvent event, boolean local) {
    }

    private final BlockingQueue<Queued> queue;
    private final EventRing ring = new EventRing();
    private final List<ServerEventListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread dispatcher;

    @Activate
    public EventBus(NotificationsConfiguration config) {
        this(config.queue__capacity());
    }

    EventBus(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException(NotificationsConfiguration.PID + ": queue_capacity must be at least 1, not " + capacity);
        }
        queue = new ArrayBlockingQueue<>(capacity);
        dispatcher = new Thread(this::dispatch, "pm-server-events");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    @Deactivate
    void stop() {
        queue.clear();
        if (!queue.offer(STOP)) {
            dispatcher.interrupt();
        }
        try {
            dispatcher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addListener(ServerEventListener listener) {
        listeners.add(listener);
    }

    void removeListener(ServerEventListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void publish(ServerEvent event) {
        offer(event, true);
    }

    /**
     * An event another replica published ({@link ReplicaEvents}): shown to this replica's event streams only. Its
     * listeners (webhooks, the notification audit, metrics) ran on the replica that published it.
     */
    void publishFromReplica(ServerEvent event) {
        offer(event, false);
    }

    private void offer(ServerEvent event, boolean local) {
        if (event == null || event == STOP.event()) {
            return;
        }
        if (!queue.offer(new Queued(event, local))) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.warn("server event queue full ({} waiting): {} events dropped so far (latest: {})",
                        queue.size(), n, event.type());
            }
        }
    }

    /** Events dropped because the queue was full, since this component started. */
    long dropped() {
        return dropped.get();
    }

    /** See {@link EventRing#subscribe}. */
    Runnable subscribe(long lastSeenSeq, int maxReplay, Consumer<SequencedEvent> subscriber) {
        return ring.subscribe(lastSeenSeq, maxReplay, subscriber);
    }

    int openStreams() {
        return ring.subscriberCount();
    }

    private void dispatch() {
        while (true) {
            Queued q;
            try {
                q = queue.take();
            } catch (InterruptedException x) {
                return;
            }
            if (q == STOP) {
                return;
            }
            try {
                deliver(q.event(), q.local());
            } catch (RuntimeException x) {
                LOG.warn("server event {} could not be dispatched: {}", q.event().type(), x.toString());
            }
        }
    }

    private void deliver(ServerEvent e, boolean local) {
        SequencedEvent numbered = new SequencedEvent(ring.nextSeq(), e, EventJson.render(e));
        ring.append(numbered);
        if (!local) {
            return;
        }
        for (ServerEventListener l : listeners) {
            try {
                l.onEvent(e);
            } catch (RuntimeException x) {
                LOG.warn("listener {} failed on server event {}: {}", l.getClass().getName(), e.type(), x.toString());
            }
        }
    }
}
