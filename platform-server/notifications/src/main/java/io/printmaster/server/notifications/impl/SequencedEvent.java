package io.printmaster.server.notifications.impl;

import io.printmaster.server.notifications.api.ServerEvent;

/**
 * An event as the dispatcher numbered it: its sequence number in this process (the SSE {@code id}), the event and
 * its JSON document {@code {"type","at","fleet",…data}}, rendered once for every stream and webhook.
 */
record SequencedEvent(long seq, ServerEvent event, String json) {

    /** The server-sent events frame: {@code id}, {@code event} (the type) and {@code data} (the JSON). */
    String frame() {
        return "id: " + seq + "\nevent: " + event.type() + "\ndata: " + json + "\n\n";
    }
}
