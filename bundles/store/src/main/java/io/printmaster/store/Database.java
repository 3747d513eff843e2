package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's relational store: embedded Apache Derby, or PostgreSQL for several server replicas; bundles write SQL
 * both speak (see {@link UniqueKeys} for a write that may meet a duplicate key). Bundles own their tables: each brings its migrations and applies them with
 * {@link #migrate} when it activates, then works through {@link #inTransaction} / {@link #read}.
 *
 * <p>Thread-safe. Every call gets its own connection, which is closed when the work returns: do not keep the
 * connection, its statements or result sets beyond the work, and do not nest calls expecting to share a
 * transaction (a nested call runs on another connection and may wait for locks the outer one holds).
 *
 * <p>The service is registered even when the database cannot be opened, so that health reporting can say why:
 * then {@link #state()} is down with the reason, {@link #migrate} throws {@link SchemaException} and the other
 * calls throw {@link SQLException}. Components that need the store therefore fail to activate, with that reason.
 */
@ProviderType
public interface Database {

    /**
     * Brings {@code module}'s schema up to the newest of {@code migrations}, each step in its own transaction
     * together with the recorded version, so a failed step leaves the module at the previous version. Steps
     * already applied are skipped: calling this at every activation is cheap and safe. Calls are serialized.
     *
     * @param module the owning module's name, e.g. {@code audit}; at most 128 characters
     * @param migrations versions 1..n, each exactly once (any order)
     * @throws SchemaException when a step fails (the message names the version and statement), when the store is
     *     down, or when the database holds a newer version of this module than the code knows (a downgrade):
     *     then nothing is changed and the module must not run. A failure also turns {@link #state()} down until
     *     a later {@code migrate} of the same module succeeds.
     * @throws IllegalArgumentException when the module name is blank or too long, or the versions have gaps or
     *     duplicates
     */
    void migrate(String module, List<Migration> migrations) throws SchemaException;

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T inTransaction(SqlWork<T> work) throws SQLException;

    /**
     * {@link #inTransaction}, run again on a new connection when the database rolled the transaction back because
     * it lost a lock conflict: chosen as a deadlock victim or waited too long for a lock (SQLState {@code 40001},
     * also PostgreSQL's "could not serialize access", {@code 40XL1}, {@code 40XL2}, Derby's contention on an identity
     * sequence {@code X0Y84}, and PostgreSQL's deadlock {@code 40P01} and lock wait timeout {@code 55P03}). Up to {@value #TRANSACTION_ATTEMPTS} attempts,
     * with a short random pause between them; the last conflict is thrown. For the hot paths many agents run at
     * once (check-in, telemetry), where such a conflict is an expected outcome of concurrency, not a fault.
     *
     * <p>{@code work} may run more than once, so it must have no effect outside its connection (no counters, no
     * messages, no files) until it returns.
     *
     * @since 1.1
     */
    <T> T inRetryingTransaction(SqlWork<T> work) throws SQLException;

    /**
     * Runs {@code action} once the transaction {@code connection} belongs to has committed, on the committing
     * thread; dropped when it rolls back (also an attempt of {@link #inRetryingTransaction} that is retried). For
     * what must not be seen before the change is durable: waking in-process caches and waiters. An action that
     * throws is logged and does not undo the commit.
     *
     * @param connection the connection of the calling {@link #inTransaction} work
     * @throws IllegalStateException when {@code connection} is not one of a running {@link #inTransaction}
     * @since 1.2
     */
    void afterCommit(Connection connection, Runnable action);

    /** How many times {@link #inRetryingTransaction} runs its work at most. */
    int TRANSACTION_ATTEMPTS = 4;

    /**
     * Runs read-only {@code work} on a connection in auto-commit mode; the connection is read-only, so an attempt
     * to write fails.
     */
    <T> T read(SqlWork<T> work) throws SQLException;

    /**
     * Whether the store is usable right now, for health reporting: down when the database could not be opened,
     * does not answer, was closed, or when a module's schema could not be migrated (see {@link #migrate}).
     */
    StorageState state();

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
