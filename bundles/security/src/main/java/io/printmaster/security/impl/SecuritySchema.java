package io.printmaster.security.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;

/** The security tables; every component of this bundle that touches them makes sure they exist first. */
final class SecuritySchema {
    static final String MODULE = "security";

    private SecuritySchema() {
    }

    static void ensure(Database database) throws SchemaException {
        database.migrate(MODULE, Migrations.fromClasspath(SecuritySchema.class, MODULE));
    }
}
