package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failures {@code inRetryingTransaction} runs again: the lock conflicts of both engines, nothing else. */
class LockConflictTest {

    @Test
    void theLockConflictsOfDerbyAndPostgresqlAreRetried() {
        for (String state : new String[] {"40001", "40XL1", "40XL2", "X0Y84", "40P01", "55P03"}) {
            assertTrue(JdbcDatabase.lostLockConflict(new SQLException("conflict", state)), state);
        }
        SQLException serialization = new SQLException("ERROR: could not serialize access due to concurrent update",
                "40001");
        assertTrue(JdbcDatabase.lostLockConflict(new SQLException("wrapped", "XJ001", serialization)),
                "a chained cause counts");
        SQLException chain = new SQLException("batch failed", "22000");
        chain.setNextException(new SQLException("deadlock detected", "40P01"));
        assertTrue(JdbcDatabase.lostLockConflict(chain), "a next exception counts");
    }

    @Test
    void otherFailuresAreNot() {
        for (String state : new String[] {"23505", "42P01", "08006", "22001", null}) {
            assertFalse(JdbcDatabase.lostLockConflict(new SQLException("other", state)), String.valueOf(state));
        }
    }
}
