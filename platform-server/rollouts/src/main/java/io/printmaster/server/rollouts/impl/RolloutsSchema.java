package io.printmaster.server.rollouts.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;

/** The tables of this bundle ({@code db/rollouts/V*.sql}); every component that touches them makes sure they exist. */
final class RolloutsSchema {
    static final String MODULE = "rollouts";

    private RolloutsSchema() {
    }

    static void ensure(Database database) throws SchemaException {
        database.migrate(MODULE, Migrations.fromClasspath(RolloutsSchema.class, MODULE));
    }
}
