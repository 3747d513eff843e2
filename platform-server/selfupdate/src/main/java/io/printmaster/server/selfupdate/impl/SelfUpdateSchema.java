package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;

/** The tables of this bundle ({@code db/selfupdate/V*.sql}); every component that touches them makes sure they exist. */
final class SelfUpdateSchema {
    static final String MODULE = "selfupdate";

    private SelfUpdateSchema() {
    }

    static void ensure(Database database) throws SchemaException {
        database.migrate(MODULE, Migrations.fromClasspath(SelfUpdateSchema.class, MODULE));
    }
}
