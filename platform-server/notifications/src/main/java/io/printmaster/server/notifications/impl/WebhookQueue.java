package io.printmaster.server.notifications.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each event into one pending delivery per webhook that wants it (its types and fleet), with the event's JSON as
 * the body, and wakes the sender. Only the process that published an event queues it, so each event is delivered
 * once per webhook whatever the number of server processes.
 */
@Component(service = ServerEventListener.class)
public class WebhookQueue implements ServerEventListener {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookQueue.class);

    private final WebhookStore webhooks;
    private final DeliveryStore deliveries;
    private final WebhookSender sender;
    private final Clock clock;

    @Activate
    public WebhookQueue(@Reference WebhookStore webhooks, @Reference DeliveryStore deliveries,
                        @Reference WebhookSender sender) {
        this(webhooks, deliveries, sender, Clock.systemUTC());
    }

    WebhookQueue(WebhookStore webhooks, DeliveryStore deliveries, WebhookSender sender, Clock clock) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.sender = sender;
        this.clock = clock;
    }

    @Override
    public void onEvent(ServerEvent event) {
        try {
            List<String> ids = webhooks.matching(event).stream().map(Webhook::id).toList();
            if (ids.isEmpty()) {
                return;
            }
            deliveries.enqueue(ids, event.type(), EventJson.render(event), clock.instant());
            sender.wake();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("event {} could not be queued for its webhooks: {}", event.type(), e.toString());
        }
    }
}
