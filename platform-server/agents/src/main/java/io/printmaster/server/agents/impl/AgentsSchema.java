package io.printmaster.server.agents.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;

/** The tables of this bundle ({@code db/agents/V*.sql}); every store component makes sure they exist first. */
final class AgentsSchema {
    static final String MODULE = "agents";

    private AgentsSchema() {
    }

    static void ensure(Database database) throws SchemaException {
        database.migrate(MODULE, Migrations.fromClasspath(AgentsSchema.class, MODULE));
    }
}
