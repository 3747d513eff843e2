package io.printmaster.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Objects;

/**
 * A write inside a transaction that may meet a row another transaction created first (a unique key), after which the
 * transaction goes on: portable between Derby and PostgreSQL. Derby undoes only the failed statement; PostgreSQL
 * refuses every further statement of a transaction in which one failed, unless the statement ran under a savepoint
 * that is rolled back. {@link #tryWrite} runs the write under one.
 *
 * @since 1.2
 */
public final class UniqueKeys {
    /** SQLState of a unique or primary key violation (both engines). */
    public static final String DUPLICATE_KEY = "23505";

    private UniqueKeys() {
    }

    /**
     * Runs {@code write} on {@code connection} (a connection of a running {@link Database#inTransaction}) under a
     * savepoint.
     *
     * @return true when it ran; false when it violated a unique key: then its own effects are undone and the
     *     transaction can go on
     * @throws SQLException any other failure of {@code write} (its effects undone as well)
     */
    public static boolean tryWrite(Connection connection, Database.SqlWork<?> write) throws SQLException {
        Objects.requireNonNull(write, "write");
        Savepoint savepoint = connection.setSavepoint();
        try {
            write.run(connection);
        } catch (SQLException e) {
            connection.rollback(savepoint);
            if (isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
        connection.releaseSavepoint(savepoint);
        return true;
    }

    /** Whether {@code e} reports a unique or primary key violation. */
    public static boolean isDuplicateKey(SQLException e) {
        return e != null && DUPLICATE_KEY.equals(e.getSQLState());
    }
}
