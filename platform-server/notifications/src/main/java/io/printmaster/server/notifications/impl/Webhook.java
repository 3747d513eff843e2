package io.printmaster.server.notifications.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One outgoing webhook as stored. The secret is kept sealed ({@code SECRET_SEALED}); this record never holds it in the
 * clear.
 *
 * @param fleet when set, only events of this fleet (or of several fleets including it) are sent
 */
record Webhook(String id, String url, List<String> events, String fleet, String sealedSecret, Instant createdAt,
               String createdBy) {

    Webhook {
        events = List.copyOf(events);
    }

    /** Whether {@code e} is one this webhook is sent. */
    boolean wants(ServerEvent e) {
        if (!events.contains(e.type())) {
            return false;
        }
        if (fleet == null) {
            return true;
        }
        return fleet.equals(e.fleet()) || (e.data().get("fleets") instanceof List<?> fleets && fleets.contains(fleet));
    }

    /** As the API shows it: everything but the secret. */
    Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("url", url);
        m.put("events", events);
        m.put("fleet", fleet);
        m.put("created_at", createdAt.toString());
        m.put("created_by", createdBy);
        return m;
    }
}
