package io.printmaster.server.notifications.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where bundles publish {@link ServerEvent}s. Publish after the change has committed (an event for a change that
 * rolled back would show consoles something that did not happen). Thread-safe.
 */
@ProviderType
public interface ServerEvents {
    /**
     * Hands one event to the consoles, notifications, webhooks and listeners. Never blocks on them and never throws:
     * a publisher's request must not fail or wait because a console reads slowly or a webhook is down.
     */
    void publish(ServerEvent event);
}
