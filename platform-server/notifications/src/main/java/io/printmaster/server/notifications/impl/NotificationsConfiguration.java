package io.printmaster.server.notifications.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** PID {@value #PID}: the event queue, the event streams' lifetime and webhook retries. */
@ObjectClassDefinition(name = "PrintMaster notifications",
        description = "Server events (the live console stream, notifications) and outgoing webhooks.")
public @interface NotificationsConfiguration {
    String PID = "io.printmaster.server.notifications";

    @AttributeDefinition(description = "Events waiting for the dispatcher at most; beyond it new events are dropped "
            + "(and counted) rather than making the publisher wait.")
    int queue__capacity() default 10_000;

    @AttributeDefinition(description = "Seconds before the first retry of a webhook delivery; each further retry "
            + "waits twice as long as the previous one.")
    int retry__base__seconds() default 30;

    @AttributeDefinition(description = "Attempts of one webhook delivery at most (the first one included).")
    int max__attempts() default 8;

    @AttributeDefinition(description = "Seconds one GET /api/v1/events stream lasts before the client must reconnect "
            + "(EventSource does, resuming with Last-Event-ID): the reconnect is authenticated again, so a revoked "
            + "token or an ended session stops receiving events within this time. At least 1.")
    int event__stream__max__seconds() default 300;
}
