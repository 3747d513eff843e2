package io.printmaster.server.notifications.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service told of every {@link ServerEvent} published in this server process, one at a time on the
 * notifications bundle's own thread (a slow listener delays only the listeners after it, never a publisher).
 */
@ConsumerType
public interface ServerEventListener {
    void onEvent(ServerEvent event);
}
