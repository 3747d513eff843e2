package io.printmaster.server.notifications.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.time.Instant;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other replicas' server events ({@link ReplicaEvents} forwards them as signals of topic
 * {@value ReplicaEvents#TOPIC}), shown to this replica's event streams only; this replica's own signals are skipped.
 */
@Component(service = SignalListener.class, immediate = true,
        property = SignalListener.TOPICS + "=" + ReplicaEvents.TOPIC)
public class ReplicaEventReceiver implements SignalListener {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaEventReceiver.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventBus bus;
    private final String origin;

    @Activate
    public ReplicaEventReceiver(@Reference EventBus bus) {
        this(bus, ReplicaEvents.ORIGIN);
    }

    /** With the origin of the replica it stands for (tests put two replicas in one process). */
    ReplicaEventReceiver(EventBus bus, String origin) {
        this.bus = bus;
        this.origin = origin;
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
