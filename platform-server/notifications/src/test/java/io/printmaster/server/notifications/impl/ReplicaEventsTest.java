package io.printmaster.server.notifications.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import io.printmaster.store.SignalListener;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcClusterSignals;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas' event buses on one database, each with its own signals service: an event published on A reaches the
 * event streams of B once, A's streams see it once (its own signal is skipped), and B's listeners (webhooks, audit)
 * are not told of it (they ran on A).
 */
class ReplicaEventsTest {
    @TempDir
    Path dir;

    private static void register(JdbcClusterSignals signals, SignalListener listener) throws Exception {
        Method add = JdbcClusterSignals.class.getDeclaredMethod("addListener", SignalListener.class, Map.class);
        add.setAccessible(true);
        add.invoke(signals, listener, Map.of(SignalListener.TOPICS, ReplicaEvents.TOPIC));
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Test
    void anEventPublishedOnOneReplicaReachesTheOthersStreamsOnce() throws Exception {
        DerbyDatabase db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        EventBus a = new EventBus(100);
        EventBus b = new EventBus(100);
        JdbcClusterSignals signalsA = new JdbcClusterSignals(db);
        JdbcClusterSignals signalsB = new JdbcClusterSignals(db);
        ReplicaEvents forwardA = new ReplicaEvents(db, signalsA, "replica-a");
        ReplicaEvents forwardB = new ReplicaEvents(db, signalsB, "replica-b");
        try {
            register(signalsA, new ReplicaEventReceiver(a, "replica-a"));
            register(signalsB, new ReplicaEventReceiver(b, "replica-b"));
            a.addListener(forwardA);
            b.addListener(forwardB);
            AtomicInteger listenedOnB = new AtomicInteger();
            b.addListener(new ServerEventListener() {
                @Override
                public void onEvent(ServerEvent event) {
                    listenedOnB.incrementAndGet();
                }
            });
            List<SequencedEvent> streamA = new CopyOnWriteArrayList<>();
            List<SequencedEvent> streamB = new CopyOnWriteArrayList<>();
            a.subscribe(-1, 0, streamA::add);
            b.subscribe(-1, 0, streamB::add);

            a.publish(new ServerEvent(ServerEvent.AGENT_STATUS, Instant.parse("2026-12-07T10:00:00Z"), "lab",
                    Map.of("agent_id", "agt_1", "status", "downloading")));
            await("B's stream shows A's event", () -> streamB.size() == 1);
            SequencedEvent seen = streamB.get(0);
            assertEquals(ServerEvent.AGENT_STATUS, seen.event().type());
            assertEquals("lab", seen.event().fleet(), "fleet kept: B's streams filter by it");
            assertEquals("downloading", seen.event().data().get("status"));
            assertEquals(Instant.parse("2026-12-07T10:00:00Z"), seen.event().at());

            // a second event, published on B, travels the other way; by then A's own first one came back and was skipped
            b.publish(new ServerEvent(ServerEvent.SYNC_PROGRESS, Instant.parse("2026-12-07T10:00:01Z"), null,
                    Map.of("sync_id", "sync-1", "state", "running")));
            await("A's stream shows B's event", () -> streamA.size() == 2);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(600)); // three polls: nothing more may arrive
            assertEquals(List.of(ServerEvent.AGENT_STATUS, ServerEvent.SYNC_PROGRESS),
                    streamA.stream().map(e -> e.event().type()).toList(), "each event once on A");
            assertEquals(List.of(ServerEvent.AGENT_STATUS, ServerEvent.SYNC_PROGRESS),
                    streamB.stream().map(e -> e.event().type()).toList(), "each event once on B");
            assertEquals(1, listenedOnB.get(), "B's listeners heard B's own event only, not A's");
        } finally {
            forwardA.stop();
            forwardB.stop();
            a.stop();
            b.stop();
            for (JdbcClusterSignals s : List.of(signalsA, signalsB)) {
                Method stop = JdbcClusterSignals.class.getDeclaredMethod("stop");
                stop.setAccessible(true);
                stop.invoke(s);
            }
            db.close();
        }
    }
}
