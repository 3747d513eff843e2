package io.printmaster.server.notifications.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event bus: a publisher never waits (a full queue drops and counts), events are numbered in order, streams
 * resume from a Last-Event-ID out of the ring, and a failing listener does not keep the others from their events.
 */
class EventBusTest {
    private EventBus bus;

    @AfterEach
    void stop() {
        if (bus != null) {
            bus.stop();
        }
    }

    private static ServerEvent event(String type, int n) {
        return new ServerEvent(type, Instant.parse("2026-01-01T00:00:00Z"), "lab", Map.of("n", n));
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingThePublisher() throws Exception {
        bus = new EventBus(2);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        bus.addListener(e -> {
            held.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
        });
        bus.publish(event(ServerEvent.AGENT_STATUS, 0));
        assertTrue(held.await(10, TimeUnit.SECONDS), "the dispatcher took the first event");
        long started = System.nanoTime();
        for (int i = 1; i <= 100; i++) {
            bus.publish(event(ServerEvent.AGENT_STATUS, i));
        }
        long tookMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        assertEquals(98, bus.dropped(), "two fit in the queue, the other 98 are dropped");
        assertTrue(tookMillis < 2000, "publishing to a stuck dispatcher returned at once, took " + tookMillis + " ms");
        release.countDown();
    }

    @Test
    void streamsResumeAfterTheirLastEventIdAndFollowNewEvents() throws Exception {
        bus = new EventBus(100);
        BlockingQueue<SequencedEvent> seen = new LinkedBlockingQueue<>();
        bus.addListener(e -> { });
        Runnable first = bus.subscribe(-1, 1000, seen::add);
        for (int i = 1; i <= 5; i++) {
            bus.publish(event(ServerEvent.ROLLOUT_PROGRESS, i));
        }
        for (int i = 1; i <= 5; i++) {
            SequencedEvent e = seen.poll(10, TimeUnit.SECONDS);
            assertEquals(i, e.seq());
            assertEquals(i, e.event().data().get("n"));
            assertEquals("id: " + i + "\nevent: rollout.progress\ndata: {\"type\":\"rollout.progress\","
                    + "\"at\":\"2026-01-01T00:00:00Z\",\"fleet\":\"lab\",\"n\":" + i + "}\n\n", e.frame());
        }
        first.run();

        BlockingQueue<SequencedEvent> resumed = new LinkedBlockingQueue<>();
        Runnable second = bus.subscribe(3, 1000, resumed::add);
        assertEquals(List.of(4L, 5L), List.of(resumed.poll().seq(), resumed.poll().seq()), "the missed events, replayed");
        bus.publish(event(ServerEvent.ROLLOUT_PROGRESS, 6));
        assertEquals(6, resumed.poll(10, TimeUnit.SECONDS).seq(), "then the new ones");
        assertEquals(null, resumed.poll(), "each exactly once");
        second.run();

        BlockingQueue<SequencedEvent> afterRestart = new LinkedBlockingQueue<>();
        bus.subscribe(5000, 1000, afterRestart::add);
        assertEquals(6, afterRestart.size(), "an id from before this process started replays the whole ring");
    }

    @Test
    void theRingKeepsTheNewestThousand() throws Exception {
        bus = new EventBus(5000);
        CountDownLatch all = new CountDownLatch(1200);
        bus.addListener(e -> all.countDown());
        for (int i = 1; i <= 1200; i++) {
            bus.publish(event(ServerEvent.AGENT_STATUS, i));
        }
        assertTrue(all.await(30, TimeUnit.SECONDS));
        BlockingQueue<SequencedEvent> replay = new LinkedBlockingQueue<>();
        bus.subscribe(0, EventRing.CAPACITY, replay::add);
        assertEquals(EventRing.CAPACITY, replay.size());
        assertEquals(201, replay.peek().seq(), "the oldest 200 fell out");
        BlockingQueue<SequencedEvent> bounded = new LinkedBlockingQueue<>();
        bus.subscribe(0, EventStreamResource.MAX_REPLAY, bounded::add);
        assertEquals(EventStreamResource.MAX_REPLAY, bounded.size(), "a stream's replay stays below the sink's limit");
        assertEquals(1200 - EventStreamResource.MAX_REPLAY + 1, bounded.peek().seq(), "the newest ones");
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheOthers() throws Exception {
        bus = new EventBus(10);
        BlockingQueue<ServerEvent> told = new LinkedBlockingQueue<>();
        ServerEventListener broken = e -> {
            throw new IllegalStateException("broken listener");
        };
        bus.addListener(broken);
        bus.addListener(told::add);
        bus.publish(event(ServerEvent.RELEASE_CACHED, 1));
        bus.publish(event(ServerEvent.RELEASE_CACHED, 2));
        assertEquals(1, told.poll(10, TimeUnit.SECONDS).data().get("n"));
        assertEquals(2, told.poll(10, TimeUnit.SECONDS).data().get("n"));
    }
}
