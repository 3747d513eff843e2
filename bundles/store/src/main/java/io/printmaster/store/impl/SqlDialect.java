package io.printmaster.store.impl;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What differs between the engines for migrations: the modules write their scripts once, in Derby's SQL, and each
 * engine runs them in its own ({@link #translate}); two processes migrating one database take turns
 * ({@link #lockMigrations}).
 */
interface SqlDialect {

    /** A migration statement in this engine's SQL. */
    String translate(String derbySql);

    /**
     * Holds every other process's migration back until the transaction of {@code c} ends (this process serializes
     * its own migrations already).
     */
    void lockMigrations(Connection c) throws SQLException;

    /** Prepares a database at every open (in a transaction holding {@link #lockMigrations}): helpers scripts use. */
    void prepare(Connection c) throws SQLException;

    /** Embedded Derby: its SQL as written; one process opens the database. */
    SqlDialect DERBY = new SqlDialect() {
        @Override
        public String translate(String derbySql) {
            return derbySql;
        }

        @Override
        public void lockMigrations(Connection c) {
        }

        @Override
        public void prepare(Connection c) {
        }
    };
}
