package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two signal services on one database stand for two replicas: one publishes, both hear it once, after the commit. */
class JdbcClusterSignalsTest {
    @TempDir
    static Path dir;
    static JdbcDatabase db;
    static JdbcClusterSignals replicaA;
    static JdbcClusterSignals replicaB;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(dir);
        replicaA = new JdbcClusterSignals(db, Clock.systemUTC(), false);
        replicaB = new JdbcClusterSignals(db, Clock.systemUTC(), false);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private static List<Signal> listen(JdbcClusterSignals replica, Object topics) {
        List<Signal> heard = new CopyOnWriteArrayList<>();
        SignalListener listener = heard::add;
        replica.addListener(listener, Map.of(SignalListener.TOPICS, topics));
        return heard;
    }

    @Test
    void theCommittingReplicaHearsAfterTheCommitAndTheOtherOnItsNextPollEachOnce() throws Exception {
        List<Signal> onA = listen(replicaA, "fleet.policy");
        List<Signal> onB = listen(replicaB, new String[] {"fleet.*"});
        db.inTransaction(c -> {
            replicaA.publish(c, "fleet.policy", "lab", "{\"etag\":\"3\"}");
            assertTrue(onA.isEmpty(), "not before the commit");
            return null;
        });
        assertEquals(1, onA.size());
        assertEquals("lab", onA.get(0).scope());
        assertEquals("{\"etag\":\"3\"}", onA.get(0).payload());
        assertTrue(onB.isEmpty(), "the other replica hears it only when it reads the table");
        replicaB.poll();
        replicaB.poll();
        replicaA.poll();
        assertEquals(1, onB.size(), "delivered once on the other replica");
        assertEquals(onA.get(0).seq(), onB.get(0).seq());
        assertEquals(1, onA.size(), "not again on the publishing replica");
    }

    @Test
    void aRolledBackPublicationIsHeardNowhere() throws Exception {
        List<Signal> onA = listen(replicaA, "agent.command");
        List<Signal> onB = listen(replicaB, "agent.command");
        assertThrows(SQLException.class, () -> db.inTransaction(c -> {
            replicaA.publish(c, "agent.command", "agent-1", null);
            throw new SQLException("the change failed");
        }));
        replicaA.poll();
        replicaB.poll();
        assertTrue(onA.isEmpty());
        assertTrue(onB.isEmpty());
    }

    @Test
    void listenersHearOnlyTheirTopics() throws Exception {
        List<Signal> policies = listen(replicaB, "policy.only");
        db.inTransaction(c -> {
            replicaA.publish(c, "policy.other", null, null);
            return null;
        });
        replicaB.poll();
        assertTrue(policies.isEmpty());
    }

    @Test
    void badValuesAreRefusedByName() {
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                () -> db.inTransaction(c -> {
                    replicaA.publish(c, " ", null, null);
                    return null;
                }));
        assertTrue(blank.getMessage().contains("topic"), blank.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> db.inTransaction(c -> {
                    replicaA.publish(c, "t", "s".repeat(129), null);
                    return null;
                }));
        assertTrue(tooLong.getMessage().contains("scope"), tooLong.getMessage());
    }

    @Test
    void afterCommitOutsideATransactionIsRefused() {
        assertThrows(IllegalStateException.class, () -> db.read(c -> {
            db.afterCommit(c, () -> { });
            return null;
        }));
    }
}
