package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's relational store. Bundles own their tables: each brings its migrations and applies them with
 * {@link #migrate} when it activates, then works through {@link #inTransaction} / {@link #read}.
 */
@ProviderType
public interface Database {

    /**
     * Brings {@code module}'s schema up to the newest of {@code migrations}, each in its own transaction, recording
     * the applied version per module.
     *
     * @throws SchemaException when the database holds a newer version of this module than the code knows (a
     *     downgrade): nothing is changed and the module must not run
     */
    void migrate(String module, List<Migration> migrations) throws SchemaException;

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T inTransaction(SqlWork<T> work) throws SQLException;

    /** Runs read-only {@code work} on a connection in auto-commit mode. */
    <T> T read(SqlWork<T> work) throws SQLException;

    /** Whether the store is usable right now, for health reporting. */
    StorageState state();

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
