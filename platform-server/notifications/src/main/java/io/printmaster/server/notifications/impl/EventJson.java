package io.printmaster.server.notifications.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.server.notifications.api.ServerEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON document of an event, as consoles and webhooks receive it: {@code {"type","at","fleet",…data}}. */
final class EventJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventJson() {
    }

    static Map<String, Object> document(ServerEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", e.type());
        m.put("at", e.at().toString());
        m.put("fleet", e.fleet());
        // the envelope's members win: data cannot disguise an event's type, time or fleet
        e.data().forEach(m::putIfAbsent);
        return m;
    }

    /**
     * @throws IllegalArgumentException when the data holds a value that is not JSON-ready (the publisher's mistake)
     */
    static String render(ServerEvent e) {
        try {
            return JSON.writeValueAsString(document(e));
        } catch (JsonProcessingException x) {
            throw new IllegalArgumentException("event " + e.type() + " has data that is not JSON: " + x.getOriginalMessage(), x);
        }
    }
}
