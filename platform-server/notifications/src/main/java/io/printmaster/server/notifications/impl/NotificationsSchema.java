package io.printmaster.server.notifications.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;

/** The tables of this bundle ({@code db/notifications/V*.sql}); every component that touches them makes sure they exist. */
final class NotificationsSchema {
    static final String MODULE = "notifications";

    private NotificationsSchema() {
    }

    static void ensure(Database database) throws SchemaException {
        database.migrate(MODULE, Migrations.fromClasspath(NotificationsSchema.class, MODULE));
    }
}
