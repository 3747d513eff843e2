package io.printmaster.server.metrics.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Counts what the server's events tell: agents' update outcomes ({@code agent.outcome}) and release syncs
 * ({@code sync.progress}), each sync once, when its state is final.
 */
@Component(service = ServerEventListener.class)
public class EventMetrics implements ServerEventListener {
    /** Syncs counted already, newest last; a sync's final state may be published more than once. */
    private static final int REMEMBERED_SYNCS = 1024;

    private final ServerMetrics metrics;
    private final Map<String, Boolean> countedSyncs = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_SYNCS;
        }
    };

    @Activate
    public EventMetrics(@Reference ServerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void onEvent(ServerEvent event) {
        Map<String, Object> data = event.data();
        if (ServerEvent.AGENT_OUTCOME.equals(event.type())) {
            metrics.outcome(text(data.get("component")), text(data.get("target_version")), text(data.get("status")),
                    text(data.get("error_code")));
        } else if (ServerEvent.SYNC_PROGRESS.equals(event.type())) {
            String state = text(data.get("state"));
            String syncId = text(data.get("sync_id"));
            if (state == null || "running".equals(state) || syncId == null || !firstTime(syncId)) {
                return;
            }
            metrics.syncRun(state, data.get("rejected") instanceof Number n ? n.longValue() : 0);
        }
    }

    private synchronized boolean firstTime(String syncId) {
        return countedSyncs.put(syncId, Boolean.TRUE) == null;
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }
}
